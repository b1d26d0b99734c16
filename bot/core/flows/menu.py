"""Menus, FAQ answers, language choice, help and the hand-over to a person.

States: none of its own. Buttons: m:<node>. The screens behind f:<faq>, l:<lang>, n:home|back|human and
a:<action> are drawn here; those buttons are handled in flows/navigation.py.
"""

from __future__ import annotations

from bot.core.context import Ctx
from bot.core.events import Button, Reply
from bot.core.flows.base import Replies
from bot.i18n import LANGUAGE_NAMES, LANGUAGES
from bot.knowledge.loader import Content
from bot.knowledge.schema import Action, MenuItem

__all__ = ["MenuFlow", "action_label", "help_text"]


def action_label(ctx: Ctx, action: Action) -> str:
    labels = {
        Action.CENTRES: ctx._("📍 Find the nearest centre"),
        Action.CALLBACK: ctx._("📞 Request a callback"),
        Action.ELIGIBILITY: ctx._("✅ Check what help may apply to me"),
        Action.LANGUAGE: ctx._("🌐 Language / ენა / Язык"),
        Action.HOTLINE: ctx._("☎️ Hotline number"),
    }
    return labels[action]


def help_text(ctx: Ctx) -> str:
    return "\n\n".join(
        [
            ctx._("I answer questions about working abroad legally, the risks of irregular migration and help "
                  "for people who have returned to Georgia."),
            ctx._("Choose a topic with the buttons, or simply write your question. You can also send your "
                  "location or the name of your town to find the nearest migrant resource centre."),
            ctx._("Commands: /menu main menu, /language change language, /centres nearest centre, "
                  "/callback ask for a callback, /mydata what we store about you, /forget delete it, "
                  "/cancel stop what you are doing."),
            ctx.hotline_line(),
        ]
    )


class MenuFlow:
    prefix = "m"

    def __init__(self) -> None:
        # A menu screen's text and buttons depend only on the content and the language, and five updates in eight
        # draw one: they are drawn once per content version and language.
        self._drawn_for: Content | None = None
        self._drawn: dict[tuple[str, str], tuple[str, tuple[Button, ...]]] = {}

    def _screen(self, ctx: Ctx, node_id: str) -> tuple[str, tuple[Button, ...]]:
        if ctx.content is not self._drawn_for:
            self._drawn_for = ctx.content
            self._drawn.clear()
        screen = self._drawn.get((node_id, ctx.lang))
        if screen is None:
            node = ctx.content.nodes[node_id]
            buttons = tuple(b for b in (self._item_button(ctx, i) for i in ctx.content.items(node_id)) if b)
            screen = (ctx.text(node.text) or ctx.text(node.title), buttons)
            self._drawn[(node_id, ctx.lang)] = screen
        return screen

    def _item_button(self, ctx: Ctx, item: MenuItem) -> Button | None:
        if item.menu and item.menu in ctx.content.nodes:
            return Button(ctx.text(ctx.content.nodes[item.menu].title), f"m:{item.menu}")
        if item.faq and item.faq in ctx.content.faqs:
            return Button(ctx.text(ctx.content.faqs[item.faq].question), f"f:{item.faq}")
        if item.action:
            return Button(action_label(ctx, item.action), f"a:{item.action.value}")
        return None

    def node(self, ctx: Ctx, node_id: str, edit: bool = False) -> Reply | None:
        node = ctx.content.nodes.get(node_id)
        if node is None:
            return None
        ctx.session.visit(f"m:{node_id}")
        text, buttons = self._screen(ctx, node_id)
        is_root = node_id == ctx.content.root
        rows: list[tuple[Button, ...]] = [(b,) for b in buttons]
        if is_root:
            rows.append((Button(ctx._("👤 Talk to a person"), "n:human"),))
            return Reply(text=text, buttons=tuple(rows), edit=edit)
        return ctx.with_nav(text, rows, edit=edit)

    def home(self, ctx: Ctx, prefix: str = "", edit: bool = False) -> Replies:
        ctx.session.leave()
        ctx.session.history.clear()
        reply = self.node(ctx, ctx.content.root, edit=edit)
        assert reply is not None
        if ctx.session.draft:
            prefix = "\n\n".join(p for p in (prefix, ctx._("Your unfinished callback request is kept.")) if p)
            reply = Reply(text=reply.text, buttons=((Button(ctx._("Continue my request"), "cb:start"),),
                                                    *reply.buttons), edit=edit)
        if prefix:
            reply = Reply(text=f"{prefix}\n\n{reply.text}", buttons=reply.buttons, edit=edit)
        return [reply]

    async def button(self, ctx: Ctx, arg: str) -> Replies | None:
        ctx.session.leave()
        reply = self.node(ctx, arg, edit=True)
        return [reply] if reply else None

    async def input(self, ctx: Ctx) -> Replies | None:
        return None

    def faq(self, ctx: Ctx, faq_id: str, feedback: bool = False, opening: str = "",
            related: str = "") -> Replies | None:
        """An answer's first screen: the short answer, the hotline and a callback button; "More" for the rest.
        `related`: an entry the question came close to as well, one tap away in case the answer missed."""
        entry = ctx.content.faqs.get(faq_id)
        if entry is None:
            return None
        ctx.session.visit(f"f:{faq_id}")
        ctx.faq_shown = faq_id
        answer = ctx.text(entry.answer)
        parts = [opening, ctx.text(entry.question), answer]
        if ctx.content.hotline.display not in answer:
            parts.append(ctx.hotline_line())
        rows: list[tuple[Button, ...]] = []
        if entry.more:
            rows.append((Button(ctx._("📖 More"), f"f:{faq_id}:more"),))
        if related in ctx.content.faqs and related != faq_id:
            rows.append((Button(f"↪ {ctx.text(ctx.content.faqs[related].question)}", f"f:{related}"),))
        rows.append((Button(action_label(ctx, Action.CALLBACK), "a:callback"),))
        if feedback:
            rows.append((Button(ctx._("👍 Helpful"), f"q:y:{faq_id}"),
                         Button(ctx._("👎 Not helpful"), f"q:n:{faq_id}")))
        return [ctx.with_nav("\n\n".join(p for p in parts if p), rows)]

    def faq_more(self, ctx: Ctx, faq_id: str) -> Replies | None:
        """The rest of an answer, as a new message under the first screen."""
        entry = ctx.content.faqs.get(faq_id)
        if entry is None or entry.more is None:
            return None
        rows = [(Button(action_label(ctx, Action.CALLBACK), "a:callback"),)]
        return [ctx.with_nav(ctx.text(entry.more), rows)]

    def language_menu(self, ctx: Ctx, first_contact: bool = False) -> Replies:
        catalogues = ctx.catalogues
        if first_contact:
            text = "\n".join(
                catalogues.translator(lang).gettext("Hello! I am the migrant hotline assistant. Choose your language:")
                for lang in LANGUAGES
            )
        else:
            text = ctx._("Choose your language:")
        rows = tuple((Button(LANGUAGE_NAMES[lang], f"l:{lang}"),) for lang in LANGUAGES)
        return [Reply(text=text, buttons=rows)]

    def language_note(self, ctx: Ctx) -> Reply:
        """Shown once, above the answer to a first message: the language chosen, and one tap to another."""
        others = tuple(Button(LANGUAGE_NAMES[code], f"l:{code}") for code in LANGUAGES if code != ctx.lang)
        return Reply(text=ctx._("I will answer in English. Another language:"), buttons=(others,))

    def set_language(self, ctx: Ctx, lang: str) -> Replies | None:
        if lang not in LANGUAGES:
            return None
        ctx.session.lang = lang
        return self.home(ctx, prefix=ctx._("Language set: English. You can change it any time with /language."))

    def human(self, ctx: Ctx) -> Replies:
        hotline = ctx.content.hotline
        text = "\n\n".join(
            [
                ctx._("You can talk to a hotline consultant. The consultation is free."),
                f"☎️ {hotline.display}\n{ctx.text(hotline.hours)}",
                ctx._("From abroad, call {number}.").format(number=hotline.international),
                ctx._("Or leave your number and a caseworker will call you back."),
            ]
        )
        rows = [
            (Button(action_label(ctx, Action.CALLBACK), "a:callback"),),
            (Button(action_label(ctx, Action.CENTRES), "a:centres"),),
            tuple(b for b in ctx.nav_row() if b.data != "n:human"),
        ]
        return [Reply(text=text, buttons=tuple(rows))]

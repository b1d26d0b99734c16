"""Nearest migrant resource centre, from a shared location or a typed place name.

States: c:ask (waiting for a location or a place name). Buttons: c:ask, c:all, c:c:<centre>, c:p:<place>,
c:none. A location sent at any time also lands here (engine fallback).
"""

from __future__ import annotations

from bot.core.context import Ctx
from bot.core.events import Button, ButtonAction, Reply, Venue
from bot.core.flows.base import Replies
from bot.core.flows.menu import MenuFlow
from bot.knowledge.geo import CentrePoint, in_georgia, nearest_centres
from bot.knowledge.places import Place
from bot.knowledge.schema import Centre

__all__ = ["CentresFlow"]


class CentresFlow:
    prefix = "c"

    def __init__(self, menu: MenuFlow) -> None:
        self.menu = menu

    async def button(self, ctx: Ctx, arg: str) -> Replies | None:
        kind, _, value = arg.partition(":")
        if kind == "ask":
            return self.ask(ctx)
        if kind == "all":
            ctx.session.leave()
            return self.all_centres(ctx)
        if kind == "c":
            centre = ctx.content.centre(value)
            return self.one_centre(ctx, centre) if centre else None
        if kind == "p":
            place = ctx.content.gazetteer.place(value)
            return self.for_place(ctx, place) if place else None
        if kind == "none":
            return self.unknown(ctx)
        return None

    def ask(self, ctx: Ctx) -> Replies:
        ctx.session.enter("c:ask")
        ctx.session.visit("c:ask")
        intro = ctx._("Share your location with the button below, or write the name of your town or village.")
        request = Reply(text=intro, buttons=((Button(ctx._("📍 Share my location"), action=ButtonAction.LOCATION),),))
        rows = [(Button(ctx._("All centres"), "c:all"),)]
        return [request, ctx.with_nav(ctx.hotline_line(), rows)]

    def unknown(self, ctx: Ctx) -> Replies:
        """A place we do not know: never a guess, but the region, each leading to its nearest centre."""
        ctx.session.enter("c:ask")
        ctx.session.visit("c:ask")
        intro = ctx._("I don't know this place. Share your location, or choose your region:")
        request = Reply(text=intro, buttons=((Button(ctx._("📍 Share my location"), action=ButtonAction.LOCATION),),))
        regions = [Button(r.name(ctx.lang), f"c:p:{r.id}") for r in ctx.content.gazetteer.regions()]
        rows = [tuple(regions[i : i + 2]) for i in range(0, len(regions), 2)]
        rows.append((Button(ctx._("All centres"), "c:all"),))
        return [request, ctx.with_nav(ctx.hotline_line(), rows)]

    def _details(self, ctx: Ctx, centre: Centre) -> str:
        lines = [ctx.text(centre.name), ctx.text(centre.address), f"☎️ {centre.phone}"]
        if centre.email:
            lines.append(f"✉️ {centre.email}")
        lines.append(f"🕘 {ctx.text(centre.hours)}")
        return "\n".join(lines)

    def _venue(self, ctx: Ctx, centre: Centre) -> Venue:
        return Venue(ctx.text(centre.name), ctx.text(centre.address), centre.location.lat, centre.location.lon)

    def km(self, ctx: Ctx, distance: float) -> str:
        """Distances are as the crow flies, and say so: the road may be much longer."""
        number = ctx.t.number(distance, 0 if distance >= 10 else 1)
        return ctx._("about {distance} km in a straight line").format(distance=number)

    def one_centre(self, ctx: Ctx, centre: Centre) -> Replies:
        ctx.session.visit(f"c:c:{centre.id}")
        return [Reply(text=self._details(ctx, centre), venue=self._venue(ctx, centre), remove_keyboard=True),
                ctx.with_nav(ctx.hotline_line())]

    def all_centres(self, ctx: Ctx) -> Replies:
        ctx.session.visit("c:all")
        text = "\n\n".join([self._details(ctx, c) for c in ctx.content.centres] + [ctx.hotline_line()])
        rows = [(Button(ctx.text(c.name), f"c:c:{c.id}"),) for c in ctx.content.centres]
        return [ctx.with_nav(text, rows)]

    def for_place(self, ctx: Ctx, place: Place) -> Replies:
        ctx.session.leave()
        return self.nearest(ctx, place.lat, place.lon, place_name=place.name(ctx.lang), serving=place.centre)

    def nearest(self, ctx: Ctx, lat: float, lon: float, place_name: str = "", serving: str | None = None) -> Replies:
        """The nearest centre first (or the one content maps the place to), then the others by distance."""
        points = [CentrePoint(c.id, c.location.lat, c.location.lon) for c in ctx.content.centres]
        ranked = nearest_centres(lat, lon, points, serving=serving)
        first_point, first_km = ranked[0]
        first = ctx.content.centre(first_point.id)
        assert first is not None
        heading = (
            ctx._("Nearest centre to {place}: {distance}").format(place=place_name, distance=self.km(ctx, first_km))
            if place_name
            else ctx._("Nearest centre: {distance} from you").format(distance=self.km(ctx, first_km))
        )
        others = []
        for point, distance in ranked[1:]:
            centre = ctx.content.centre(point.id)
            if centre:
                others.append(f"• {ctx.text(centre.name)}: {self.km(ctx, distance)}, ☎️ {centre.phone}")
        rest = "\n".join([ctx._("Other centres:"), *others, "", ctx.hotline_line()])
        return [
            Reply(text=f"{heading}\n\n{self._details(ctx, first)}", venue=self._venue(ctx, first),
                  remove_keyboard=True),
            ctx.with_nav(rest),
        ]

    def abroad(self, ctx: Ctx) -> Replies:
        ctx.session.leave()
        hotline = ctx.content.hotline
        text = "\n\n".join([
            ctx._("Our migrant resource centres are in Georgia. From abroad you can call the hotline: {number}.")
            .format(number=hotline.international),
            ctx._("You can also leave your number and a caseworker will call you back."),
        ])
        rows = [(Button(ctx._("📞 Request a callback"), "a:callback"),), (Button(ctx._("All centres"), "c:all"),)]
        return [Reply(text=text, remove_keyboard=True, buttons=(*rows, ctx.nav_row()))]

    async def input(self, ctx: Ctx) -> Replies | None:
        event = ctx.event
        if event.location is not None:
            lat, lon = event.location.latitude, event.location.longitude
            ctx.session.leave()
            if not in_georgia(lat, lon):
                return self.abroad(ctx)
            return self.nearest(ctx, lat, lon)
        if ctx.session.state != "c:ask" or not event.text.strip():
            return None
        result = ctx.content.gazetteer.resolve(event.text)
        if result.status == "found":
            return self.for_place(ctx, result.candidates[0])
        if result.status == "abroad":
            return self.abroad(ctx)
        if result.status == "ambiguous":
            return self.choose(ctx, result.candidates)
        return self.unknown(ctx)

    def choose(self, ctx: Ctx, candidates: list[Place]) -> Replies:
        """Places of the same name, told apart by municipality ("Ruispiri, Telavi Municipality"), else by region."""
        rows = []
        for place in candidates[:5]:
            label = place.name(ctx.lang)
            where = place.municipality_name(ctx.lang)
            region = place.region_name(ctx.lang)
            text = f"{label}, {where}" if where else f"{label} ({region})" if region else label
            rows.append((Button(text, f"c:p:{place.id}"),))
        rows.append((Button(ctx._("None of these"), "c:none"),))
        return [ctx.with_nav(ctx._("Which place do you mean?"), rows)]

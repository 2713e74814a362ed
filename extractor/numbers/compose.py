"""Adding up spoken numbers: groups below a thousand, multiplied by scale words.

Persian, Arabic and English say numbers the same way: a group below 1000 (hundreds, tens,
units, in each language's order) followed by a scale word, then smaller groups. Scale words
also multiply each other (دو هزار میلیارد, 2 × 1000 × 10⁹; three lakh crore), and a group
can be followed by a larger scale that takes everything before it (هزار و پانصد میلیون,
1500 × 10⁶). :class:`WordNumber` keeps that state and refuses any token that would not
continue a well-formed number, so a reader can stop at the last token that did.

>>> n = WordNumber()
>>> n.add(Decimal(3), "u") and n.scale(1000) and n.add(Decimal(200), "h") and n.add(Decimal(12), "teen")
True
>>> n.value()
Decimal('3212')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["WordNumber"]

_SLOTS_OF = {"u": {"u"}, "t": {"t"}, "teen": {"t", "u"}, "h": {"h"}}


@dataclass
class WordNumber:
    """The running value of a number said in words (and digits mixed in).

    Every method returns False, changing nothing, when the token cannot continue the number.
    """

    parts: list[tuple[int, Decimal]] = field(default_factory=list)  # (scale, value), scales falling
    group: Decimal = Decimal(0)
    slots: set[str] = field(default_factory=set)  # filled in the group: h, t, u; x = complete
    after_scale: bool = False  # the last token was a scale word
    closed: bool = False  # "a million and a half": nothing may follow

    def copy(self) -> WordNumber:
        return WordNumber(list(self.parts), self.group, set(self.slots), self.after_scale, self.closed)

    @property
    def empty(self) -> bool:
        return not self.parts and not self.slots

    def value(self) -> Decimal:
        return sum((v for _, v in self.parts), Decimal(0)) + self.group

    def add(self, value: Decimal, kind: str, *, units_first: bool = False) -> bool:
        """Add a word of ``kind`` u (1-9), t (20-90), teen (10-19), h (100-900) or zero.

        ``units_first`` allows tens after units (Arabic ستة و عشرون, 6 + 20)."""
        if self.closed or "x" in self.slots:
            return False
        if kind == "zero":
            return self._set(value, {"x"}) if self.empty else False
        need = _SLOTS_OF[kind]
        if need & self.slots:
            return False
        if kind == "h" and self.slots:
            return False  # hundreds come first in every language read here
        if kind == "t" and "u" in self.slots and not units_first:
            return False
        return self._set(self.group + value, self.slots | need)

    def add_digits(self, value: Decimal) -> bool:
        """Digits inside a spoken number (چهارصد و ٥٠, 3 hundred and 21, ۳ میلیون و ۴۰۰ هزار)."""
        if self.closed or "x" in self.slots:
            return False
        if value != value.to_integral_value() or value >= 1000:
            # 2.5 میلیون, 12,500 thousand: only as the first part of a number.
            return self._set(value, {"x"}) if self.empty else False
        if value < 10:
            return self.add(value, "u")
        if value < 100:
            return self.add(value, "teen")  # fills tens and units
        return self.add(value, "h") and self._set(self.group, self.slots | {"t", "u"})

    def hundred(self, *, joined: bool, tens_ok: bool = False) -> bool:
        """A "hundred" word: 100 alone, or a multiplier of the units before it (پنج صد, ثلاث مائة,
        and in English of any group below 100: forty five hundred = 4500)."""
        if self.closed or "x" in self.slots:
            return False
        if not self.slots:
            return self._set(Decimal(100), {"h"})
        allowed = {"t", "u"} if tens_ok else {"u"}
        if joined or "h" in self.slots or not self.slots <= allowed:
            return False
        return self._set(self.group * 100, {"h"})

    def scale(self, level: int, *, bare_ok: bool = True, joined: bool = False, same_level: bool = False) -> bool:
        """A scale word (thousand, million...) multiplying the group before it, or the scales
        right before it (هزار میلیارد). ``bare_ok`` lets it stand for one of itself (after
        و/and it always does: مليون وألف is 1 001 000). ``same_level``: a bare scale or a dual
        after و adds to the part of the same scale (مئة ألف وألف is 101 000, مئة مليون
        ومليونان 102 000 000), the way Arabic says 101 and 102 of a scale."""
        if self.closed:
            return False
        parts = list(self.parts)
        compound = not self.slots and self.after_scale and parts and not joined
        if self.slots:
            base = self.group
        elif compound:
            base = Decimal(0)  # the smaller scales before it are multiplied
            if parts[-1][0] >= level:
                return False  # میلیون هزار: not a way numbers are said
        elif bare_ok or joined:
            base = Decimal(1)
        else:
            return False
        while parts and parts[-1][0] < level:
            base += parts.pop()[1]
        if (same_level and joined and parts and parts[-1][0] == level and base <= 2 and len(self.parts) == len(parts)
                and parts[-1][1] >= 100 * level):  # (only after hundreds of the scale: ألف وألف is no number)
            self.parts = parts[:-1] + [(level, parts[-1][1] + base * level)]
            self.group, self.slots, self.after_scale = Decimal(0), set(), True
            return True
        if parts and parts[-1][0] <= level:
            return False  # سه هزار و دو هزار: two figures, not one
        self.parts = parts + [(level, base * level)]
        self.group, self.slots, self.after_scale = Decimal(0), set(), True
        return True

    def half(self) -> bool:
        """"and a half" (و نیم, ونصف): half a unit after a group, half the scale after a scale."""
        if self.closed:
            return False
        if self.slots and "x" not in self.slots:
            return self._set(self.group + Decimal("0.5"), {"x"})
        if self.after_scale and self.parts:
            level, v = self.parts[-1]
            self.parts[-1] = (level, v + Decimal(level) / 2)
            self.closed = True
            return True
        return False

    def _set(self, group: Decimal, slots: set[str]) -> bool:
        self.group, self.slots, self.after_scale = group, slots, False
        return True

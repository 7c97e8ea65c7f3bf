"""The shape of a qbXML element as Intuit's catalogue gives it: a leaf with a type, a maximum
length and allowed values, or a group of children in schema order."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    type: str  # "" for a group; str, id, bool, date, datetime, amt, quan, price, percent, ...
    flags: str  # "o" optional, "r" may repeat
    max: int  # the longest string QuickBooks Desktop takes; 0 when not limited
    enum: tuple[str, ...]
    children: tuple[Node, ...]

    @property
    def repeats(self) -> bool:
        return "r" in self.flags

    @property
    def is_group(self) -> bool:
        return not self.type

    def child(self, name: str) -> Node | None:
        for node in self.children:
            if node.name == name:
                return node
        return None


def N(name: str, flags: str, children: tuple[Node, ...]) -> Node:
    return Node(name, "", flags, 0, (), children)


def L(name: str, type: str, flags: str, max: int, enum: tuple[str, ...] = ()) -> Node:
    return Node(name, type, flags, max, enum, ())

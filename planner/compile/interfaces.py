"""The EFA network-interface layout of a launch template, derived from catalog data only.

AWS's guidance has changed between generations (older docs put EFA at device 1 of secondary cards;
since 2024-10 `efa-only` interfaces exist), so the whole layout lives here, in one function:

- card 0 / device 0 is always the primary ENA `interface` (it carries the instance's one IP);
- where the type supports `efa-only`: card 0 / device 1 is `efa-only` if card 0 carries EFA, and
  every other EFA card gets `efa-only` at device 0, so the instance uses one IP in all;
- where `efa-only` is not supported (or not confirmed): each EFA card gets a full `efa` interface
  at device 0 (card 0's is then the primary), each taking an IP.

Cards the catalog marks ENA-only (card 0 of p6-b300 and p6e-gb200) never get EFA.
Source: EC2 User Guide efa, using-eni, efa-acc-inst-types (../shared/reference/aws-gpu-facts.md).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..catalog import InstanceType

ENA, EFA, EFA_ONLY = "interface", "efa", "efa-only"


@dataclass(frozen=True, slots=True)
class Interface:
    card: int
    device: int
    type: str

    @property
    def takes_ip(self) -> bool:
        return self.type in (ENA, EFA)


def layout(itype: InstanceType, efa: bool) -> tuple[Interface, ...]:
    if not efa:
        return (Interface(0, 0, ENA),)
    cards = [c for c in itype.efa_cards if c not in itype.ena_only_cards]
    if itype.efa_only:
        out = [Interface(0, 0, ENA)]
        if 0 in cards:
            out.append(Interface(0, 1, EFA_ONLY))
        out.extend(Interface(c, 0, EFA_ONLY) for c in cards if c != 0)
        return tuple(out)
    out = [Interface(c, 0, EFA) for c in cards]
    if 0 not in cards:
        out.insert(0, Interface(0, 0, ENA))
    return tuple(out)


def ips_per_instance(interfaces: tuple[Interface, ...]) -> int:
    return sum(1 for i in interfaces if i.takes_ip)


def efa_interfaces(interfaces: tuple[Interface, ...]) -> int:
    return sum(1 for i in interfaces if i.type in (EFA, EFA_ONLY))

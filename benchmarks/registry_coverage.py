"""Coverage of the licensing-agency registry (provdir/vocab/licensing_agencies.yaml).

    python benchmarks/registry_coverage.py

One line per state or territory: its agencies and which roles they cover (ssa: single state
authority for substance use, smha: state mental health authority, health, hospital licensing,
licensing of treatment programs), then the totals. A missing role is printed as "-".
"""

from __future__ import annotations

from provdir.normalize import agency

ROLES = ("ssa", "smha", "health", "hospital", "licensing")


def main() -> None:
    reg = agency.registry()
    cov = agency.coverage()
    print(f"{'st':<4}{'agencies':>9}  " + " ".join(f"{r:<9}" for r in ROLES) + "  ids")
    for st, c in cov.items():
        roles = " ".join(f"{(r if r in c['roles'] else '-'):<9}" for r in ROLES)
        print(f"{st:<4}{len(c['agencies']):>9}  {roles}  {', '.join(c['agencies'])}")
    names = sum(len(v) for v in reg.names.values())
    print(
        f"\n{len(cov)} states and territories, {len(reg.agencies)} agencies, {names} names "
        f"(current, short, division and former), {len(reg.acronyms)} acronyms"
    )
    for r in ROLES:
        print(f"  role {r:<9} covered in {sum(r in c['roles'] for c in cov.values())}/{len(cov)}")


if __name__ == "__main__":
    main()

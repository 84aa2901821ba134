"""What the Evaluation page says in words about an evaluation: the summary line, the
headline changes, the engagement figures and the days from arrest to charge."""
from __future__ import annotations

from ..models import fmt_date
from .models import fmt_change, fmt_rate

HEADLINE_MEASURES = ("serious_violence", "arrest", "treatment_entry")
ENGAGEMENT_KEYS = ("People evaluated", "Invited to a call-in", "Call-in attendance",
                   "Reached by the message", "Offers of support made", "Offers taken up",
                   "Median days, call-in to first support contact")


def summary(e) -> str:
    """Whom, how many, which inclusions, what window (and the comparison)."""
    period = (f"people included {fmt_date(e.period_from)} to {fmt_date(e.period_to)}"
              if e.period_from else f"up to {fmt_date(e.period_to)}")
    text = (f"{e.scope}: {e.people} {'person' if e.people == 1 else 'people'} observed, "
            f"{period}; {e.query.window_months} months before and after each inclusion.")
    if e.without_date:
        text += f" {e.without_date} without an inclusion date are left out."
    if e.comparison is not None:
        text += f" Compared with {e.comparison_scope} ({e.comparison_people} people)."
    return text


def headline(e) -> str:
    """The before → after rates of the measures a board asks about first."""
    lines = []
    for key in HEADLINE_MEASURES:
        m = next((r for r in e.measures if r.key == key), None)
        if m is not None:
            lines.append(f"{m.label}: {fmt_rate(m.before_rate)} → {fmt_rate(m.after_rate)} "
                         f"per person-year ({fmt_change(m.change)})")
    return " · ".join(lines)


def _share(part: int, whole: int) -> str:
    return f"{part} of {whole} ({part / whole:.0%})" if whole else f"{part}"


def engagement(g) -> dict[str, str]:
    """The engagement figures, under :data:`ENGAGEMENT_KEYS`."""
    return {
        "People evaluated": str(g.people),
        "Invited to a call-in": str(g.invited),
        "Call-in attendance": f"{_share(g.attended, g.invited)}, {g.no_show} no-show",
        "Reached by the message": _share(g.reached, g.people),
        "Offers of support made": str(g.offers_made),
        "Offers taken up": _share(g.offers_taken_up, g.offers_made),
        "Median days, call-in to first support contact":
            f"{g.median_days_to_support:g} ({g.days_to_support_people} people)"
            if g.median_days_to_support is not None else "–",
    }


def charging(e) -> str:
    median = e.charge_median_days
    charges = sum(m.count for m in e.charging)
    if median is None:
        return "Days from arrest to charge: no charge with its arrest in the period."
    return (f"Days from arrest to charge: median {median:g} over {charges} charge"
            f"{'s' if charges != 1 else ''} in the period.")

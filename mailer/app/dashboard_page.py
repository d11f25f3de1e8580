"""The dashboard as one HTML page, in French: figures, charts, tables; every value escaped.

Readable on a phone: a viewport meta, charts at 100% of the width (their SVG has a viewBox and
no fixed size), tables that scroll sideways inside their own box rather than widening the page.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from ..clock import french_date
from ..figures import french_euros, french_number

if TYPE_CHECKING:
    from .dashboard import Dashboard

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")

PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tableau de bord · {{ d.team }}</title>
<style>
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
     color:#222;background:#f4f5f7;line-height:1.45}
header,main{max-width:1100px;margin:0 auto;padding:12px 16px}
header{padding-top:20px}
h1{font-size:1.5rem;margin:0 0 4px;color:#1d3557}
h2{font-size:1.1rem;margin:0 0 6px;color:#1d3557}
.period{margin:0;color:#555}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px;margin:12px 0 18px}
.card{background:#fff;border-radius:8px;padding:10px 12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card b{display:block;font-size:1.45rem;color:#1d3557}
.card span{font-size:.9rem;color:#555}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,480px),1fr));gap:16px}
figure,section.table{margin:0;background:#fff;border-radius:8px;padding:12px;box-shadow:0 1px 2px rgba(0,0,0,.08);
       min-width:0}
figure svg{display:block;width:100%;height:auto}
figcaption{font-size:.9rem;color:#555;margin-top:6px}
section.table{margin-top:16px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e3e5e8;white-space:nowrap}
td.n,th.n{text-align:right}
footer{max-width:1100px;margin:0 auto;padding:8px 16px 24px;color:#777;font-size:.85rem}
</style>
</head>
<body>
<header>
<h1>Tableau de bord</h1>
<p class="period">{{ d.team }} · du {{ day(d.since) }} au {{ day(d.until) }}</p>
</header>
<main>
<div class="cards">
{%- for value, label in cards %}
<div class="card"><b>{{ value }}</b><span>{{ label }}</span></div>
{%- endfor %}
</div>
<div class="charts">
{%- for chart in d.charts %}
<figure>
<h2>{{ chart.title }}</h2>
{{ svg(chart.svg) }}
<figcaption>{{ chart.caption }}</figcaption>
</figure>
{%- endfor %}
</div>
<section class="table">
<h2>Campagnes</h2>
{%- if d.deliveries %}
<div class="scroll"><table>
<thead><tr><th>Campagne</th><th>État</th><th class="n">Destinataires</th><th class="n">Envoyés</th>
<th class="n">Échecs</th><th class="n">Non-remises</th><th class="n">Désinscriptions</th></tr></thead>
<tbody>
{%- for c in d.deliveries %}
<tr><td>{{ c.name }}</td><td>{{ states.get(c.state, c.state) }}</td><td class="n">{{ c.total|nombre }}</td>
<td class="n">{{ c.sent|nombre }}</td><td class="n">{{ c.failed|nombre }}</td><td class="n">{{ c.bounced|nombre }}</td>
<td class="n">{{ c.unsubscribed|nombre }}</td></tr>
{%- endfor %}
</tbody></table></div>
{%- else %}
<p>Aucune campagne envoyée pour l'instant.</p>
{%- endif %}
</section>
<section class="table">
<h2>Groupes silencieux</h2>
<p>Groupes chargés d'un dossier actif dont aucun compte rendu n'a été reçu depuis plus de {{ d.quiet_days }} jours
(ou jamais) au {{ day(d.until) }} : {{ d.quiet|length }}.</p>
{%- if d.quiet %}
<div class="scroll"><table>
<thead><tr><th>Groupe</th><th>Nom</th><th>Dossiers actifs</th><th>Dernier compte rendu</th></tr></thead>
<tbody>
{%- for q in d.quiet[:50] %}
<tr><td>{{ q.group }}</td><td>{{ q.name }}</td><td>{{ q.dossiers|join(", ") }}</td>
<td>{{ day(q.last_report) if q.last_report else "jamais" }}</td></tr>
{%- endfor %}
</tbody></table></div>
{%- if d.quiet|length > 50 %}<p>… et {{ d.quiet|length - 50 }} autres : mailer report.</p>{% endif %}
{%- endif %}
</section>
</main>
<footer>Produit par mailer le {{ generated }} · les chiffres viennent des comptes rendus reçus par courriel
(mailer report).</footer>
</body>
</html>
"""

STATES = {"draft": "brouillon", "sending": "en cours", "paused": "en pause", "done": "terminée",
          "cancelled": "annulée"}


def day(value: date) -> str:
    return f"{'1er' if value.day == 1 else value.day} {MONTHS[value.month - 1]} {value.year}"


def page(d: Dashboard, tz: ZoneInfo) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["nombre"] = french_number
    t = d.total
    cards = [(french_number(t.reports), "comptes rendus"), (french_number(t.letters), "lettres"),
             (french_number(t.signatures), "signatures"), (french_number(t.officials), "élu·es rencontré·es"),
             (french_number(t.events), "événements"), (french_euros(round(t.fund_eur)), "pour le Fonds d'aide"),
             (french_number(d.groups_active), "groupes actifs"), (french_number(len(d.quiet)), "groupes silencieux"),
             (french_number(d.triage_open), "messages à trier")]
    return env.from_string(PAGE).render(d=d, cards=cards, day=day, states=STATES,
                                        svg=Markup,             # pygal's own SVG: it escapes the labels
                                        generated=french_date(d.generated, tz))

"""The French pages of the unsubscribe endpoint: small, self-contained, naming no address."""

from __future__ import annotations

from markupsafe import Markup, escape

_LAYOUT = Markup("""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{title} – {team}</title>
<style>
body {{ margin: 0; padding: 32px 12px; background: #f3efe8; font: 16px/1.5 Arial, Helvetica, sans-serif; color: #222; }}
main {{ max-width: 560px; margin: 0 auto; padding: 24px 32px; background: #fff; border-top: 6px solid #b23a2b; }}
h1 {{ font: 24px/1.3 Georgia, "Times New Roman", serif; color: #1d3557; }}
button {{ padding: 10px 22px; font-size: 16px; color: #fff; background: #b23a2b; border: 0; cursor: pointer; }}
</style>
</head>
<body>
<main>
<p><strong>{team}</strong></p>
<h1>{title}</h1>
{body}
</main>
</body>
</html>
""")

WHAT = {"all": "nos messages", "bulletin": "le bulletin"}


def _page(team: str, title: str, body: Markup) -> str:
    return _LAYOUT.format(team=escape(team), title=escape(title), body=body)


def confirm_page(team: str, scope: str) -> str:
    """GET: what the button does, and the button; nothing changes until it is pressed."""
    body = Markup("""<p>Pour ne plus recevoir {what} de {team}, appuyez sur le bouton ci-dessous.</p>
<form method="post">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<p><button type="submit">Se désinscrire</button></p>
</form>
<p>Si vous ne souhaitez pas vous désinscrire, fermez simplement cette page : rien n'a changé.</p>
""").format(what=WHAT[scope], team=escape(team))
    return _page(team, "Se désinscrire", body)


def done_page(team: str, scope: str) -> str:
    body = Markup("""<p>Vous ne recevrez plus {what} de {team}.</p>
<p>Une erreur ? Écrivez-nous en répondant à l'un de nos messages : nous vous réinscrirons.</p>
""").format(what=WHAT[scope], team=escape(team))
    return _page(team, "Votre désinscription est enregistrée", body)


def keep_page(team: str) -> str:
    """GET of a `/k/` link: keep the other mailings once the button is pressed."""
    body = Markup("""<p>Vous vous êtes désinscrit·e de tous les envois de {team}. Pour recevoir de nouveau
les alertes, rappels et appels de votre groupe, sans le bulletin, appuyez sur le bouton ci-dessous.</p>
<form method="post">
<p><button type="submit">Garder les alertes</button></p>
</form>
<p>Sinon, fermez simplement cette page : rien n'a changé.</p>
""").format(team=escape(team))
    return _page(team, "Garder les alertes de votre groupe", body)


def kept_page(team: str, kept: bool) -> str:
    """`kept` False: the address is stopped for another reason (a bounce, a coordinator) or not at all."""
    if kept:
        body = Markup("""<p>C'est noté : vous recevrez de nouveau les alertes, rappels et appels de votre
groupe. Le bulletin reste arrêté.</p>
""")
    else:
        body = Markup("""<p>Rien n'a changé : cette adresse n'est pas, ou plus, désinscrite de tous nos
envois à sa demande. Écrivez-nous en répondant à l'un de nos messages si besoin.</p>
""")
    return _page(team, "Vos envois", body)


def not_found_page(team: str) -> str:
    """The same page for an unknown, a malformed or a mistyped link: it reveals nothing."""
    body = Markup("""<p>Ce lien de désinscription est introuvable. Il a peut-être été copié
incomplètement : essayez le lien en bas de l'un de nos messages, ou répondez à l'un d'eux en
écrivant « désinscription ».</p>
""")
    return _page(team, "Page introuvable", body)


def unavailable_page(team: str) -> str:
    body = Markup("""<p>Votre désinscription n'a pas pu être enregistrée pour le moment. Réessayez dans
quelques minutes avec le même lien : nous ne vous écrirons plus dès qu'elle le sera.</p>
""")
    return _page(team, "Service momentanément indisponible", body)

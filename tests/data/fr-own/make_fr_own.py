"""Writes tests/data/fr-own (run: python tests/data/fr-own/make_fr_own.py tests/data/fr-own).

Hand-written French messages with their own invented directory; each message sits beside its
expected reading, written by the README rules of fr-dev before the code was run on it."""
import base64, json, quopri, sys, zlib
from email.header import Header
from pathlib import Path

OUT = Path(sys.argv[1])
OUT.mkdir(parents=True, exist_ok=True)
TEAM = "protegeonslespersonnes@example.org"

(OUT / "groups.csv").write_text("""code,name,kind,city,email
G205,Groupe 205 de Rennes,groupe_local,Rennes,groupe205.rennes@example.net
G088,Groupe 88 de Bordeaux,groupe_local,Bordeaux,gl88.bordeaux@example.org
G310,Groupe 310 de Clermont-Ferrand,groupe_local,Clermont-Ferrand,clermont310@example.com
G042,Groupe 42 de Dijon,groupe_local,Dijon,dijon42@example.org
G117,Groupe 117 de Saint-Nazaire,groupe_local,Saint-Nazaire,g117.stnazaire@example.net
G077,Groupe 77 de Metz,groupe_local,Metz,metz77@example.org
C033,Cercle d'action de Besançon,cercle_action,Besançon,cercle.besancon@example.org
C041,Cercle d'action de La Rochelle,cercle_action,La Rochelle,cercle.larochelle@example.com
J015,Antenne jeunes de Grenoble,antenne_jeunes,Grenoble,jeunes.grenoble@example.org
J022,Antenne jeunes de Bordeaux,antenne_jeunes,Bordeaux,antennejeunes.bordeaux@example.net
""", encoding="utf-8")
(OUT / "dossiers.csv").write_text("""ref,person,country,status,referent_email,groups
DI-2025-051,Yolanda Cárdenas Mosquera,Colombie,actif,julie.perrot@example.org,G205;C041
DI-2024-063,Tenzin Dhargyal,Chine,actif,olivier.baud@example.net,G088;J015
DI-2025-008,Mahnaz Rostami,Iran,actif,julie.perrot@example.org,G042;G205
DI-2023-044,Aliaksandr Zhukau,Biélorussie,actif,olivier.baud@example.net,G310;C033
DI-2024-029,Hoda Abdelrahman,Égypte,actif,julie.perrot@example.org,G117;J022
DI-2025-066,les 5 journalistes de Bamenda,Cameroun,actif,olivier.baud@example.net,G077;G088
DI-2022-019,Rustam Nazarov,Tadjikistan,clos,olivier.baud@example.net,C033
DI-2025-072,Samuel Okonkwo,Nigeria,suspendu,julie.perrot@example.org,J015
""", encoding="utf-8")
(OUT / "members.csv").write_text("""email,name,group
julie.perrot@example.org,Julie Perrot,
olivier.baud@example.net,Olivier Baud,
yann.kervella@example.net,Yann Kervella,G205
agnes.rolland@example.org,Agnès Rolland,G088
martin.schaeffer@example.com,Martin Schaeffer,G077
ines.boudjema@example.org,Inès Boudjema,J015
pascal.girardin@example.net,Pascal Girardin,G310
claire.mounier@example.com,Claire Mounier,C033
lucas.ferreira@example.org,Lucas Ferreira,J022
marie-noelle.bertin@example.net,Marie-Noëlle Bertin,
""", encoding="utf-8")

expected = []


def mail(file, *, frm, subject, date, body, expect, charset="utf-8", cte="quoted-printable", html=False,
         to=TEAM, extra="", crlf=False):
    name, addr = frm
    from_h = f"{Header(name, 'utf-8').encode()} <{addr}>" if name and not name.isascii() else (
        f"{name} <{addr}>" if name else addr)
    subj = Header(subject, "utf-8").encode() if not subject.isascii() else subject
    data = body.encode(charset)
    if cte == "quoted-printable":
        payload = quopri.encodestring(data).decode("ascii")
    elif cte == "base64":
        payload = base64.encodebytes(data).decode("ascii")
    else:
        payload = data.decode(charset)
    ctype = "text/html" if html else "text/plain"
    head = (f"Date: {date}\nFrom: {from_h}\nTo: {to}\nSubject: {subj}\n"
            f"Message-ID: <{file.replace('.eml', '')}.{zlib.crc32(subject.encode()) % 10**8}@mail.example.net>\n{extra}"
            f"MIME-Version: 1.0\nContent-Type: {ctype}; charset=\"{charset}\"\nContent-Transfer-Encoding: {cte}\n\n")
    text = head + payload
    raw = text.encode(charset if cte == "8bit" else "ascii")
    if crlf:
        raw = raw.replace(b"\n", b"\r\n")
    (OUT / file).write_bytes(raw)
    expected.append({"file": file, **expect})


def act(type_, count=None, amount=None, date=None):
    return {"type": type_, "count": count, "amount_eur": amount, "date": date}


# 1. Groupe 205 de Rennes, Colombian defender named by a misspelt surname; vague count; relative date; planned.
mail("own-001.eml", frm=("Groupe 205 Rennes", "groupe205.rennes@example.net"),
     subject="Nouvelles du groupe 205", date="Mon, 20 Apr 2026 18:12:40 +0200", body="""Bonjour Julie,

Voici les nouvelles du groupe 205 pour Yolanda Cárdena :
- le 9 avril, nous avons envoyé 48 lettres au procureur général de Colombie ;
- samedi dernier, stand au marché des Lices : une trentaine de signatures pour la pétition.

Nous allons aussi écrire à la députée de la circonscription le mois prochain.

Bien amicalement,
Yann Kervella
pour le groupe 205 de Rennes
""", expect={"kind": "report", "sender": "groupe205.rennes@example.net", "group": "G205", "dossier": "DI-2025-051",
             "actions": [act("letter_authorities", 48, None, "2026-04-09"), act("awareness", 1),
                         act("petition")]})

# 2. A member of G088 (no group named in the text), Tibetan monk with a transliteration variant, fund with cents.
mail("own-002.eml", frm=("Agnès Rolland", "agnes.rolland@example.org"),
     subject="Tenzin : notre bilan de mai", date="Sun, 10 May 2026 21:40:02 +0200", body="""Bonjour Olivier,

Petit bilan de nos actions pour Tenzin Dargyal.

Le 3 mai, vingt-huit lettres ont été adressées à l'ambassade de Chine. Nous avons également recueilli une trentaine de signatures sur la pétition à la sortie de la messe de la cathédrale.

La tombola de printemps nous a permis de verser 62,50 € au Fonds d'aide aux victimes et aux défenseurs.

Amitiés,
Agnès
""", expect={"kind": "report", "sender": "agnes.rolland@example.org", "group": "G088", "dossier": "DI-2024-063",
             "actions": [act("letter_authorities", 28, None, "2026-05-03"), act("petition"),
                         act("fund", None, 62.5)]})

# 3. Planned only -> other.
mail("own-003.eml", frm=("Groupe 42 Dijon", "dijon42@example.org"),
     subject="Nos projets pour Mahnaz", date="Tue, 02 Jun 2026 09:15:00 +0200", body="""Bonjour,

Le groupe 42 prépare la suite de la mobilisation pour Mahnaz Rostami : nous prévoyons d'organiser un concert de soutien le 27 juin, puis d'envoyer une nouvelle série de lettres à l'ambassade d'Iran à la rentrée.

Pourriez-vous nous faire parvenir des affiches et 300 exemplaires de la pétition ?

Merci d'avance,
Le groupe 42 de Dijon
""", expect={"kind": "other", "sender": "dijon42@example.org"})

# 4. Signup: states membership by city only ("groupe de Metz").
mail("own-004.eml", frm=("Thibault Marchand", "t.marchand@example.com"),
     subject="Bénévolat", date="Thu, 15 Jan 2026 20:05:11 +0100", body="""Bonjour,

Je suis membre du groupe de Metz depuis l'an dernier et je voudrais m'engager sur un dossier d'intervention, de préférence en Afrique de l'Ouest.

Je suis disponible le week-end.

Cordialement,
Thibault Marchand
""", expect={"kind": "signup", "sender": "t.marchand@example.com", "name": "Thibault Marchand", "group": "G077",
             "dossier": None})

# 5. Signup naming a city where they live (not membership) -> group null; first name only signature.
mail("own-005.eml", frm=("Océane Duval", "oceane.duval@example.net"),
     subject="Je souhaite aider", date="Sat, 07 Mar 2026 11:42:51 +0100", body="""Bonjour,

J'habite Grenoble depuis peu et j'aimerais devenir bénévole dans votre équipe. Le dossier de Tenzin Dhargyal, dont j'ai entendu parler à la fac, me touche beaucoup.

Y a-t-il des réunions près de chez moi ?

Merci,
Océane
""", cte="base64", expect={"kind": "signup", "sender": "oceane.duval@example.net", "name": "Océane Duval",
                             "group": None, "dossier": "DI-2024-063"})

# 6. Unsubscribe from the bulletin only.
mail("own-006.eml", frm=("Gérard Lemaire", "gerard.lemaire@example.org"),
     subject="Newsletter", date="Wed, 04 Feb 2026 08:30:00 +0100", body="""Bonjour,

Pourriez-vous me désinscrire de la newsletter mensuelle ? Je souhaite en revanche continuer à recevoir les appels à l'action urgents.

Bien cordialement,
G. Lemaire
""", expect={"kind": "unsubscribe", "sender": "gerard.lemaire@example.org", "scope": "bulletin"})

# 7. HTML-only report from the Grenoble youth branch.
mail("own-007.eml", frm=("Antenne jeunes Grenoble", "jeunes.grenoble@example.org"),
     subject="Retour sur la semaine Tibet", date="Fri, 27 Mar 2026 17:02:33 +0100", html=True, body="""<html><head><style>p{margin:0}</style></head><body>
<p>Bonjour Olivier,</p>
<p>Voici ce que l&#39;antenne a fait pour <b>Tenzin Dhargyal</b> cette semaine&nbsp;:</p>
<ul>
<li>le 23 mars, projection du documentaire &laquo;&nbsp;Le silence des neiges&nbsp;&raquo; sur le campus, suivie d&#39;un d&eacute;bat avec l&#39;association Amiti&eacute;s franco-tib&eacute;taines&nbsp;;</li>
<li>156 signatures recueillies pour la p&eacute;tition&nbsp;;</li>
<li>une lettre ouverte au pr&eacute;sident chinois, publi&eacute;e dans le journal &eacute;tudiant.</li>
</ul>
<p>&Agrave; bient&ocirc;t,<br>In&egrave;s, pour l&#39;antenne jeunes de Grenoble</p>
</body></html>
""", expect={"kind": "report", "sender": "jeunes.grenoble@example.org", "group": "J015", "dossier": "DI-2024-063",
             "actions": [act("awareness", 1, None, "2026-03-23"), act("collaboration", None, None, "2026-03-23"),
                         act("petition", 156), act("letter_authorities", 1)]})

# 8. cp1252 report, dossier by country adjective, thousands in the amount.
mail("own-008.eml", frm=("Groupe 117 St-Nazaire", "g117.stnazaire@example.net"),
     subject="Bilan du trimestre", date="Tue, 31 Mar 2026 19:20:00 +0200", charset="windows-1252", cte="8bit",
     body="""Bonjour,

Ce trimestre, pour notre dossier égyptien, le groupe a :
– envoyé 64 cartes de vœux à la famille de Hoda le 2 janvier ;
– tenu un stand au forum des associations le 14/02, où 97 personnes ont signé la pétition ;
– reversé 1 200 € au Fonds d'aide, produit de notre vide-grenier.

Merci à tous les bénévoles !
Groupe 117 – Saint-Nazaire
""", expect={"kind": "report", "sender": "g117.stnazaire@example.net", "group": "G117", "dossier": "DI-2024-029",
             "actions": [act("letter_support", 64, None, "2026-01-02"), act("awareness", 1, None, "2026-02-14"),
                         act("petition", 97, None, "2026-02-14"), act("fund", None, 1200)]})

# 9. Forwarded report: referent forwards a youth branch's mail.
mail("own-009.eml", frm=("Olivier Baud", "olivier.baud@example.net"),
     subject="TR: Actions pour Hoda", date="Mon, 13 Apr 2026 10:01:12 +0200", body="""Pour le tableau de suivi.

Olivier

---------- Message transféré ---------
De : Lucas Ferreira <lucas.ferreira@example.org>
Date: sam. 11 avr. 2026 à 16:20
Subject: Actions pour Hoda
To: Olivier Baud <olivier.baud@example.net>


Salut Olivier,

Pour Hoda Abdel Rahman, on a organisé le 8 avril une conférence à Sciences Po Bordeaux avec une avocate égyptienne, et on a écrit trente-cinq lettres au procureur général égyptien le même soir.

Lucas
""", expect={"kind": "report", "sender": "olivier.baud@example.net", "group": "J022", "dossier": "DI-2024-029",
             "actions": [act("awareness", 1, None, "2026-04-08"), act("letter_authorities", 35, None, "2026-04-08")]})

# 10. STOP.
mail("own-010.eml", frm=("", "k.benali@example.com"), subject="STOP", date="Mon, 05 Jan 2026 07:00:00 +0100",
     body="STOP\n", cte="7bit", expect={"kind": "unsubscribe", "sender": "k.benali@example.com", "scope": "all"})

# 11. Mail to the +u- sub-address.
mail("own-011.eml", frm=("Sylvie Carré", "sylvie.carre@example.net"), subject="Re: Bulletin n°45",
     date="Thu, 09 Apr 2026 12:00:00 +0200", to="protegeonslespersonnes+u-k3j5h2m4n6p7q8r9@example.org",
     body="Merci.\n", expect={"kind": "unsubscribe", "sender": "sylvie.carre@example.net", "scope": "all"})

# 12. Confirmation reply.
mail("own-012.eml", frm=("Damien Roux", "damien.roux@example.org"), subject="Re: Confirmez votre inscription",
     date="Fri, 16 Jan 2026 09:00:00 +0100", extra="In-Reply-To: <c0ffee1234@example.org>\n", body="""Oui, c'est bien moi.

Damien

Le ven. 16 janv. 2026 à 08:41, Protégeons les personnes <protegeonslespersonnes@example.org> a écrit :
> Pour confirmer votre inscription, répondez OUI à ce message.
""", expect={"kind": "confirm", "sender": "damien.roux@example.org"})

# 13. Question about a dossier -> other.
mail("own-013.eml", frm=("Brigitte Faivre", "brigitte.faivre@example.com"), subject="Des nouvelles ?",
     date="Sun, 22 Feb 2026 16:45:00 +0100", body="""Bonjour,

Avez-vous des nouvelles récentes d'Aliaksandr Zhukau ? La presse biélorusse parlait d'un transfert vers une colonie pénitentiaire.

Faut-il continuer à écrire à la même adresse ?

Merci,
Brigitte Faivre
""", expect={"kind": "other", "sender": "brigitte.faivre@example.com"})

# 14. Individual member without a group, transliterated name.
mail("own-014.eml", frm=("Marie-Noëlle Bertin", "marie-noelle.bertin@example.net"), subject="Mes courriers",
     date="Wed, 18 Mar 2026 14:10:00 +0100", body="""Bonjour Olivier,

Pour Alexandre Joukau, j'ai écrit trois lettres au procureur général de Minsk (la dernière le 1er mars) et j'ai envoyé une carte à son épouse pour son anniversaire.

Bien à vous,
Marie-Noëlle
""", expect={"kind": "report", "sender": "marie-noelle.bertin@example.net", "group": None, "dossier": "DI-2023-044",
             "actions": [act("letter_authorities", 3, None, "2026-03-01"), act("letter_support", 1)]})

# 15. Dossier by country adjective for a circle holding one dossier in Colombia; conference with the LDH.
mail("own-015.eml", frm=("Cercle de La Rochelle", "cercle.larochelle@example.com"),
     subject="Conférence du 21 mars", date="Thu, 26 Mar 2026 22:00:00 +0100", body="""Bonjour à toutes et à tous,

Le 21 mars, le cercle a organisé une conférence-débat sur les défenseuses colombiennes à l'Espace Encan, en partenariat avec la Ligue des droits de l'Homme. Une soixantaine de personnes étaient présentes.

Nous avons profité de la soirée pour faire signer la pétition pour notre dossier colombien : 73 signatures.

Le cercle d'action de La Rochelle
""", expect={"kind": "report", "sender": "cercle.larochelle@example.com", "group": "C041", "dossier": "DI-2025-051",
             "actions": [act("awareness", 1, None, "2026-03-21"), act("collaboration", None, None, "2026-03-21"),
                         act("petition", 73)]})

# 16. Number words, amount in words, meeting with a senator; dossier by adjective for a one-dossier group.
mail("own-016.eml", frm=("Pascal Girardin", "pascal.girardin@example.net"), subject="Clermont : point d'étape",
     date="Mon, 11 May 2026 08:05:00 +0200", body="""Bonjour,

Depuis février, le groupe 310 a recueilli deux cent quarante signatures pour notre dossier biélorusse et versé cent cinquante euros au fonds d'aide.

Le 24 avril, nous avons été reçus par la sénatrice du Puy-de-Dôme, qui s'est engagée à interroger le ministre des Affaires étrangères.

Pascal Girardin
Groupe 310 – Clermont-Ferrand
""", cte="base64", expect={"kind": "report", "sender": "pascal.girardin@example.net", "group": "G310",
                             "dossier": "DI-2023-044",
                             "actions": [act("petition", 240), act("fund", None, 150),
                                         act("advocacy", 1, None, "2026-04-24")]})

# 17. Auto-reply with RFC 3834 header.
mail("own-017.eml", frm=("Hélène Caradec", "helene.caradec@example.org"), subject="Absente : Bulletin n°44",
     date="Mon, 03 Aug 2026 06:00:00 +0200", extra="Auto-Submitted: auto-replied\n", body="""Bonjour,

Je suis absente jusqu'au 24 août. Votre message sera traité à mon retour.

Hélène Caradec
""", expect={"kind": "auto_reply", "sender": "helene.caradec@example.org"})

# 18. A thank-you reply whose quoted part holds a report -> other.
mail("own-018.eml", frm=("Martin Schaeffer", "martin.schaeffer@example.com"), subject="Re: Votre bilan de février",
     date="Tue, 03 Mar 2026 19:30:00 +0100", extra="In-Reply-To: <bilan-0226@example.org>\n", body="""Merci Julie, c'est bien noté, je transmets au groupe.

Martin

Le 26/02/2026 à 10:12, Julie Perrot a écrit :
> Bonjour Martin,
>
> Je récapitule : 45 lettres envoyées le 12 février, un stand le 20 février et
> 120 signatures. Merci de me confirmer ces chiffres.
""", expect={"kind": "other", "sender": "martin.schaeffer@example.com"})

# 19. A circle volunteers for a named collective dossier.
mail("own-019.eml", frm=("Claire Mounier", "claire.mounier@example.com"), subject="Nouveau dossier pour le cercle",
     date="Fri, 09 Jan 2026 18:00:00 +0100", body="""Bonjour Olivier,

Maintenant que le dossier de Rustam Nazarov est clos, le cercle d'action de Besançon souhaite s'engager sur le dossier des journalistes de Bamenda. Nous avons l'habitude des campagnes de cartes et des stands.

Peux-tu nous mettre en contact avec le groupe de Metz, qui suit déjà ce dossier ?

Claire Mounier
Cercle d'action de Besançon
""", expect={"kind": "signup", "sender": "claire.mounier@example.com", "name": "Claire Mounier", "group": "C033",
             "dossier": "DI-2025-066"})

# 20. Signup naming a closed dossier and a country only -> dossier null.
mail("own-020.eml", frm=("Hugo Lemoine", "hugo.lemoine@example.org"), subject="Rejoindre l'équipe",
     date="Tue, 24 Feb 2026 13:00:00 +0100", body="""Bonjour,

La libération de Rustam Nazarov m'a beaucoup ému. Je souhaite rejoindre l'équipe, idéalement pour les dossiers concernant le Nigeria, où j'ai vécu.

Hugo Lemoine
""", expect={"kind": "signup", "sender": "hugo.lemoine@example.org", "name": "Hugo Lemoine", "group": None,
             "dossier": None})

# 21. Anaphoric date, a concert with a choir, meeting the mayor, CRLF line ends.
mail("own-021.eml", frm=("Martin Schaeffer", "martin.schaeffer@example.com"), subject="Bamenda : actions de février",
     date="Sat, 28 Feb 2026 11:11:11 +0100", crlf=True, body="""Bonjour,

Le 7 février, nous avons donné un concert de soutien aux journalistes de Bamenda à l'Arsenal, co-organisé avec la chorale Résonances.

À l'issue du concert, 85 personnes ont signé la pétition.

Le 12 février, nous avons rencontré le maire de Metz, qui soutiendra publiquement notre démarche.

Nous avons aussi versé 300 € au fonds d'aide.

Martin, groupe 77
""", expect={"kind": "report", "sender": "martin.schaeffer@example.com", "group": "G077", "dossier": "DI-2025-066",
             "actions": [act("awareness", 1, None, "2026-02-07"), act("collaboration", None, None, "2026-02-07"),
                         act("petition", 85, None, "2026-02-07"), act("advocacy", 1, None, "2026-02-12"),
                         act("fund", None, 300)]})

# 22. Member of J015 names the dossier by first name only; numeric and 1er dates; number words.
mail("own-022.eml", frm=("Inès Boudjema", "ines.boudjema@example.org"), subject="cartes pour Tenzin",
     date="Thu, 19 Mar 2026 23:59:00 +0100", body="""Coucou Olivier,

Le 1er mars on a écrit dix-huit cartes de soutien pour Tenzin pendant l'atelier d'écriture, et le 14/03 on a tenu un stand au festival Tibet en fête : 64 signatures !

Inès
""", expect={"kind": "report", "sender": "ines.boudjema@example.org", "group": "J015", "dossier": "DI-2024-063",
             "actions": [act("letter_support", 18, None, "2026-03-01"), act("awareness", 1, None, "2026-03-14"),
                         act("petition", 64, None, "2026-03-14")]})

# 23. Commercial mail -> other.
mail("own-023.eml", frm=("ImprimExpress", "promo@imprim.example.com"), subject="-30 % sur vos affiches et tracts",
     date="Mon, 12 Jan 2026 05:00:00 +0100", html=True, body="""<html><body><h1>Imprimez malin !</h1>
<p>Associations : -30&nbsp;% sur vos affiches, flyers et tracts jusqu'au 31 janvier. Livraison offerte d&egrave;s 50&nbsp;&euro;.</p>
<p>Vos p&eacute;titions et cartes postales imprim&eacute;es en 48&nbsp;h.</p>
<p><a href="https://imprim.example.com/unsub">Se d&eacute;sabonner</a></p></body></html>
""", expect={"kind": "other", "sender": "promo@imprim.example.com"})

# 24. Dossier named by ref only, group address, e-mails to the authorities, local radio.
mail("own-024.eml", frm=("Groupe 42 Dijon", "dijon42@example.org"), subject="DI-2025-008",
     date="Fri, 06 Mar 2026 12:30:00 +0100", body="""Bonjour,

Pour le dossier DI-2025-008 : 32 courriels envoyés aux autorités iraniennes le 2 mars, et une interview de notre coordinatrice sur France Bleu Bourgogne le 5 mars.

Cordialement,
Le groupe 42
""", expect={"kind": "report", "sender": "dijon42@example.org", "group": "G042", "dossier": "DI-2025-008",
             "actions": [act("letter_authorities", 32, None, "2026-03-02"), act("awareness", 1, None, "2026-03-05")]})

# 25. Unsubscribe from everything, iso-8859-1.
mail("own-025.eml", frm=("Roger Vasseur", "roger.vasseur@example.com"), subject="Arrêtez",
     date="Tue, 10 Mar 2026 10:10:10 +0100", charset="iso-8859-1", body="""Je ne veux plus recevoir vos messages. Retirez-moi de toutes vos listes, s'il vous plaît.

R. Vasseur
""", expect={"kind": "unsubscribe", "sender": "roger.vasseur@example.com", "scope": "all"})

# 26. Report in December about a date in late December of the previous year? No: a January mail about 28 décembre.
mail("own-026.eml", frm=("Groupe 88 Bordeaux", "gl88.bordeaux@example.org"), subject="Fin d'année pour Bamenda",
     date="Wed, 07 Jan 2026 20:00:00 +0100", body="""Bonjour Olivier,

Le 28 décembre, nous avons tenu un stand au marché de Noël des Capucins pour les cinq journalistes de Bamenda : 210 signatures et 40 € de dons, que nous avons versés au fonds d'aide.

Nous avons aussi adressé une lettre au ministre camerounais de la Communication.

Bonne année à toute l'équipe,
Agnès, groupe 88
""", expect={"kind": "report", "sender": "gl88.bordeaux@example.org", "group": "G088", "dossier": "DI-2025-066",
             "actions": [act("awareness", 1, None, "2025-12-28"), act("petition", 210, None, "2025-12-28"),
                         act("fund", None, 40, "2025-12-28"), act("letter_authorities", 1)]})


# ---------------------------------------------------------------- batch 2 (written after batch 1 was scored)
# 27. A thank-you letter received is not an action; "22 membres ... ont écrit chacun une lettre".
mail("own-027.eml", frm=("Claire Mounier", "claire.mounier@example.com"), subject="Cercle de Besançon - janvier",
     date="Sat, 31 Jan 2026 10:00:00 +0100", body="""Bonjour Olivier,

Nous avons bien reçu une lettre de remerciement de la famille d'Aliaksandr Zhukov, qui nous a beaucoup touchés.

Le 17 janvier, lors de notre soirée d'écriture, 22 membres du cercle ont écrit chacun une lettre au procureur général du Bélarus.

Claire
Cercle d'action de Besançon
""", expect={"kind": "report", "sender": "claire.mounier@example.com", "group": "C033", "dossier": "DI-2023-044",
             "actions": [act("letter_authorities", 22, None, "2026-01-17")]})

# 28. Signup by group number only, dossier by ref in the subject.
mail("own-028.eml", frm=("Sébastien Morel", "seb.morel@example.net"), subject="Volontaire pour DI-2024-029",
     date="Mon, 16 Feb 2026 07:45:00 +0100", body="""Bonjour,

Je fais partie du groupe 88 et je me porte volontaire pour ce dossier : je lis l'arabe et je peux aider à suivre la presse égyptienne.

Sébastien Morel
""", expect={"kind": "signup", "sender": "seb.morel@example.net", "name": "Sébastien Morel", "group": "G088",
             "dossier": "DI-2024-029"})

# 29. Simple unsubscribe, all.
mail("own-029.eml", frm=("Yvette Charpentier", "yvette.charpentier@example.org"), subject="désinscription",
     date="Wed, 21 Jan 2026 15:00:00 +0100", body="""Bonjour, je souhaite me désinscrire. Merci.
""", expect={"kind": "unsubscribe", "sender": "yvette.charpentier@example.org", "scope": "all"})

# 30. Count after the noun; ambassador met.
mail("own-030.eml", frm=("Groupe 42 Dijon", "dijon42@example.org"), subject="Mahnaz Rostami - avril",
     date="Thu, 30 Apr 2026 18:00:00 +0200", body="""Bonjour Julie,

Pétition pour Mahnaz : signatures recueillies ce mois-ci : 134.

Le 22 avril, deux membres du groupe ont été reçus par le conseiller de l'ambassadeur d'Iran à Paris.

Le groupe 42 de Dijon
""", expect={"kind": "report", "sender": "dijon42@example.org", "group": "G042", "dossier": "DI-2025-008",
             "actions": [act("petition", 134), act("advocacy", 1, None, "2026-04-22")]})

# 31. Leafleting; relative date; youth branch address.
mail("own-031.eml", frm=("Antenne jeunes Bordeaux", "antennejeunes.bordeaux@example.net"), subject="Hoda",
     date="Tue, 14 Apr 2026 21:00:00 +0200", body="""Hello !

Le 9 avril on a distribué une centaine de tracts sur Hoda devant la fac de la Victoire. La semaine suivante, on a envoyé 41 cartes de soutien à sa mère.

L'antenne jeunes de Bordeaux
""", expect={"kind": "report", "sender": "antennejeunes.bordeaux@example.net", "group": "J022", "dossier": "DI-2024-029",
             "actions": [act("awareness", 1, None, "2026-04-09"), act("letter_support", 41)]})

# 32. Past and future in one sentence.
mail("own-032.eml", frm=("Yann Kervella", "yann.kervella@example.net"), subject="Stand pour Mahnaz",
     date="Mon, 06 Apr 2026 09:00:00 +0200", body="""Bonjour,

Nous avons tenu un stand place Sainte-Anne le 4 avril pour Mahnaz Rostami ; nous en tiendrons un autre le 2 mai.

Yann, groupe 205
""", expect={"kind": "report", "sender": "yann.kervella@example.net", "group": "G205", "dossier": "DI-2025-008",
             "actions": [act("awareness", 1, None, "2026-04-04")]})

# 33. A forwarded answer from a mayor's office: its actions are not ours -> other.
mail("own-033.eml", frm=("Martin Schaeffer", "martin.schaeffer@example.com"), subject="TR: Réponse de la mairie",
     date="Thu, 05 Mar 2026 08:00:00 +0100", body="""Pour info, la réponse de la mairie.

Martin

---------- Message transféré ---------
De : Cabinet du maire <cabinet@mairie-metz.example.fr>
Date: mer. 4 mars 2026 à 17:30
Subject: Votre courrier
To: Martin Schaeffer <martin.schaeffer@example.com>


Monsieur,

Le maire a bien reçu votre courrier concernant les journalistes de Bamenda. Il a écrit le 3 mars au ministre de l'Europe et des Affaires étrangères pour lui faire part de sa préoccupation.

Le cabinet du maire
""", expect={"kind": "other", "sender": "martin.schaeffer@example.com"})

# 34. Euro sign before the amount, transfer, slash date without leading zero.
mail("own-034.eml", frm=("Cercle de La Rochelle", "cercle.larochelle@example.com"), subject="Virement",
     date="Fri, 10 Apr 2026 12:00:00 +0200", body="""Bonjour,

Nous avons fait le 3/04 un virement de € 75 au Fonds d'aide pour Yolanda, produit de la vente de gâteaux.

Cordialement,
Le cercle d'action de La Rochelle
""", expect={"kind": "report", "sender": "cercle.larochelle@example.com", "group": "C041", "dossier": "DI-2025-051",
             "actions": [act("fund", None, 75, "2026-04-03")]})

# 35. Star bullets, no introducing line, dates opening each item.
mail("own-035.eml", frm=("Inès Boudjema", "ines.boudjema@example.org"), subject="Tenzin",
     date="Wed, 22 Apr 2026 20:00:00 +0200", body="""Salut,

* 02/04 - exposition photo sur le Tibet à la BU, avec le club photo de l'université
* 15/04 - 27 lettres au gouverneur de la région autonome du Tibet

Inès (antenne de Grenoble)
""", expect={"kind": "report", "sender": "ines.boudjema@example.org", "group": "J015", "dossier": "DI-2024-063",
             "actions": [act("awareness", 1, None, "2026-04-02"), act("collaboration", None, None, "2026-04-02"),
                         act("letter_authorities", 27, None, "2026-04-15")]})

# 36. A person who had the petition signed, asking where to send it. Labelled a report (petition, no
# count) when written; relabelled `other` in issue 9 (session of 2026-12-02): the blind sets' writers,
# who never saw our rules, label a non-member's question that mentions a deed `other` every time (11
# messages across J, K, N, P, Q, R), and the service now reads it so (rule other.question: a person
# answers the question; the deeds read stay in the triage item's pre-filled `triage apply`).
mail("own-036.eml", frm=("Lina Haddou", "lina.haddou@example.net"), subject="Pétition papier",
     date="Sun, 15 Mar 2026 14:00:00 +0100", body="""Bonjour,

J'ai fait signer la pétition pour Hoda Abdelrahman autour de moi, mais je ne sais pas à qui renvoyer les feuilles. Pouvez-vous m'indiquer l'adresse ?

Merci,
Lina Haddou
""", expect={"kind": "other", "sender": "lina.haddou@example.net"})

# 37. Signup with the name in the display only (signature absent), mentions a country only.
mail("own-037.eml", frm=("Nadia Benyahia", "nadia.b@example.org"), subject="Bénévole",
     date="Thu, 08 Jan 2026 19:19:19 +0100", body="""Bonjour, je voudrais devenir bénévole, en particulier sur les dossiers d'Iran. Je parle persan. Merci !
""", expect={"kind": "signup", "sender": "nadia.b@example.org", "name": "Nadia Benyahia", "group": None,
             "dossier": None})

# 38. Report sent as base64 windows-1252 with a meeting of two MPs named separately.
mail("own-038.eml", frm=("Pascal Girardin", "pascal.girardin@example.net"), subject="Rendez-vous parlementaires",
     date="Wed, 27 May 2026 08:00:00 +0200", charset="windows-1252", cte="base64", body="""Bonjour,

Le 20 mai, nous avons rencontré le député de la 1re circonscription du Puy-de-Dôme et la sénatrice Mme Fabre pour leur présenter la situation d'Aliaksandr Zhukau. Le député s'est engagé à interpeller le gouvernement.

Pascal Girardin – groupe 310
""", expect={"kind": "report", "sender": "pascal.girardin@example.net", "group": "G310", "dossier": "DI-2023-044",
             "actions": [act("advocacy", 2, None, "2026-05-20")]})

# ---------------------------------------------------------------- batch 3 (written after batch 2 was scored)
# 39. Outlook-style reply on top of our request: answer above, quote below with "De : / Envoyé :".
mail("own-039.eml", frm=("Agnès Rolland", "agnes.rolland@example.org"), subject="RE: Point sur Bamenda",
     date="Mon, 20 Apr 2026 09:30:00 +0200", body="""Bonjour Olivier,

Depuis notre dernier point, nous avons expédié 19 lettres au président camerounais (le 14 avril) et organisé une veillée silencieuse devant la cathédrale Saint-André le 17 avril.

Agnès Rolland
Groupe 88 – Bordeaux

De : Olivier Baud <olivier.baud@example.net>
Envoyé : lundi 13 avril 2026 18:00
À : gl88.bordeaux@example.org
Objet : Point sur Bamenda

Pouvez-vous me dire combien de lettres vous avez envoyées en mars ?
""", expect={"kind": "report", "sender": "agnes.rolland@example.org", "group": "G088", "dossier": "DI-2025-066",
             "actions": [act("letter_authorities", 19, None, "2026-04-14"), act("awareness", 1, None, "2026-04-17")]})

# 40. A member asks to be removed from a group list only? No: plain question about the bulletin -> other.
mail("own-040.eml", frm=("Paul Henry", "paul.henry@example.com"), subject="Bulletin de mars",
     date="Tue, 07 Apr 2026 11:00:00 +0200", body="""Bonjour,

Je n'ai pas reçu le bulletin de mars. Pouvez-vous me le renvoyer ?

Merci,
Paul Henry
""", expect={"kind": "other", "sender": "paul.henry@example.com"})

# 41. Report naming the person with title and surname only, no number anywhere.
mail("own-041.eml", frm=("Lucas Ferreira", "lucas.ferreira@example.org"), subject="Mme Abdelrahman",
     date="Thu, 23 Apr 2026 22:10:00 +0200", body="""Salut,

Hier soir on a projeté un film sur les prisonnières d'opinion en Égypte à la maison des étudiants, avec le collectif Bordeaux Solidarités. On a parlé de Mme Abdelrahman et fait signer la pétition.

Lucas
""", expect={"kind": "report", "sender": "lucas.ferreira@example.org", "group": "J022", "dossier": "DI-2024-029",
             "actions": [act("awareness", 1), act("collaboration"), act("petition")]})

# 42. Signup where the person signs with a full name different in case, and names a dossier by a misspelt name.
mail("own-042.eml", frm=("", "f.garnier@example.net"), subject="Proposition",
     date="Fri, 13 Feb 2026 17:00:00 +0100", body="""Bonjour,

Retraitée et ancienne avocate, je voudrais proposer mon aide pour le dossier de Mahnaz Rostamy : je peux relire les courriers juridiques.

Bien cordialement,
Françoise Garnier
""", expect={"kind": "signup", "sender": "f.garnier@example.net", "name": "Françoise Garnier", "group": None,
             "dossier": "DI-2025-008"})

# 43. Letters to the family and to an official in two bullets with number words; fund in words with cents.
mail("own-043.eml", frm=("Groupe 310 Clermont", "clermont310@example.com"), subject="Bilan pour Aliaksandr",
     date="Sat, 28 Feb 2026 10:00:00 +0100", body="""Bonjour,

Bilan de février :
- douze cartes de soutien envoyées à la mère d'Aliaksandr ;
- une lettre au procureur général du Bélarus, le 11 février ;
- 45,50 € versés au fonds d'aide.

Groupe 310
""", expect={"kind": "report", "sender": "clermont310@example.com", "group": "G310", "dossier": "DI-2023-044",
             "actions": [act("letter_support", 12), act("letter_authorities", 1, None, "2026-02-11"),
                         act("fund", None, 45.5)]})

# 44. A retraction: the stand was cancelled -> other.
mail("own-044.eml", frm=("Martin Schaeffer", "martin.schaeffer@example.com"), subject="Stand annulé",
     date="Sun, 15 Mar 2026 18:00:00 +0100", body="""Bonjour,

À cause de la pluie, notre stand du 14 mars pour les journalistes de Bamenda a été annulé. Nous le reportons au mois d'avril.

Martin
""", expect={"kind": "other", "sender": "martin.schaeffer@example.com"})

with open(OUT / "expected.jsonl", "w", encoding="utf-8") as f:
    for row in expected:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
print(len(expected), "messages")

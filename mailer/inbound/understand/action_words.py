"""The French wording of actions, as patterns on folded text (`french.fold`).   [pure]

Who a letter goes to (officials, authorities, supporters), meetings, events, petitions,
collaborations and funds, the numbers before them, and the tense markers that tell what was done
from what is planned. `actions.py` reads a report with them.
"""

from __future__ import annotations

import re

from .french import MONTHS

_W = r"[a-z'-]+"
_OFFICIAL = (r"(?:euro)?deputee?s?|senat(?:eur|rice)s?|maires?|elue?s?|parlementaires?|conseill(?:er|ere)s? "
             r"(?:municip|region|departement|metropol|general|communaut)\w*|adjointe?s? (?:au|a la) maire|prefete?s?"
             r"|adjointe?s? (?:aux?|a la|chargee? d\w*) (?:relations|affaires|solidarit|culture|jeunesse|international)\w*"
             r"|president(?:e)? (?:du conseil|de (?:la )?region|du departement)"
             # France's foreign ministry by its title: lobbying in France, not a foreign authority
             r"|ministre de l'europe et des affaires etrangeres|ministere de l'europe et des affaires etrangeres")
_AUTHORITY = (r"ambassades?|ambassadeur|ambassadrice|consulats?|consule?s?|autorites|ministres?|ministeres?"
              r"|president(?:e)?|presidence|gouvernement|premier ministre|procureure?s?|juges?|tribunal|tribunaux"
              r"|roi|reine|gouverneur|directeur de (?:la )?prison|chef de l'etat|cour supreme")
_SUPPORT = (r"soutien|solidarite|amitie|famille|epoux|epouse|mari|femme|mere|pere|fils|fille|enfants?|proches|soeur"
            r"|frere|voeux|detenue?s?|prisonniere?s?")
OFFICIAL = re.compile(r"\b(?:" + _OFFICIAL + r")\b")
# Another structure's news the writer passes on: "le groupe de Rouen nous dit avoir fait un stand le même
# jour, ils vous en parleront", "J'ai appris que le groupe de La Rochelle avait monté une expo": theirs
THEIR_NEWS = re.compile(r"\b(?:nous|m'|me) (?:dit|a dit|ont dit|disent|disait|a (?:signale|informe|appris)"
                        r"|ont (?:signale|informes?|appris)) (?:avoir|qu'|que)\b|\b(?:ils|elles) vous en parleront\b"
                        r"|\b(?:j'ai|nous avons|on a) appris (?:[\w']+ ){0,6}?qu|\bil parait qu")
# A reminder sent in writing to the authorities: "j'ai relancé l'ambassade par mail le 6 mai" (a letter)
CHASED_IN_WRITING = re.compile(r"\brelance\w* (?:l'|la |le |les |son |sa )?(?:" + _AUTHORITY + r")\b[^.;]{0,40}?"
                               r"\bpar (?:e-?mail|mail|courriel|courrier|lettre|ecrit|fax)\b")
# Someone else who may be the subject of a deed ("le maire a écrit", "l'association a organisé"): the
# actions read from such a sentence may be theirs (actions.py, confidence.py)
OTHERS = (r"maire|depute\w*|senat\w*|prefet\w*|ministre|ambassad\w*|consul\w*|elue?s?|conseill\w*|president\w*"
          r"|journalist\w*|redaction|mairie|prefecture|association|ong|syndicat|paroisse|cabinet|collectif"
          r"|partenaires?|eglise|comite")
OFFICIALS_END = re.compile(r",\s*(?:qui|que|dont|lequel|laquelle|lesquels|lesquelles)\b|\squi\s|[:;]"
                           r"|(?<!\bm)(?<!\bmme)(?<!\bmr)(?<!\bme)\.\s")
RECIPIENT = re.compile(r"\b(?:(?P<off>" + _OFFICIAL + r")|(?P<aut>" + _AUTHORITY + r")|(?P<sup>" + _SUPPORT + r"))\b")
LETTER = re.compile(r"\b(?:lettres?|courriers?|cartes?(?: postales?)?|courriels?|e-?mails?"
                    r"|(?<!\ble )(?<!\bdu )(?<!\bau )telegrammes?|fax"     # not the paper "Le Télégramme"
                    r"|appels? urgents?|messages? de (?:soutien|solidarite))\b(?! d'information)"
                    r"(?! (?:n'|ne )?(?:arrive|parvien)\w*)"                        # "le courrier arrive": the post
                    r"(?! ouvertes? (?:[a-z'-]+ ){0,4}?(?:parue?s?|publiee?s?))")   # an open letter in the paper: press
# "recevoir plusieurs de vos cartes", "avoir reçu plus de 300 cartes": cards someone received, not written
LETTER_NOT = re.compile(r"(?:boite aux|modeles? de|lectures? (?:publiques? )?(?:de|des|d')|recu\w* (?:(?:plus|pres|moins|environ) (?:de |d'))?(?:\w+ )?"
                        r"|recevoir (?:\w+ ){0,3}|lettre d'information"
                        r"|(?:ses|leurs|ces)|copie d(?:e|u) (?:sa |son |leur |la |le |l')?"
                        r"|\b(?:vous|te) (?:[\w']+ ){0,4}?par"     # "que je vous fais suivre par courrier": to us
                        r"|\b(?:publie|relaye|repris|paru)e?s? (?:notre|nos|une|la|sa|leur|votre) "  # "a publié notre lettre ouverte"
                        r"|\b(?:article|breve|papier|interview|encart|paru|parue|publie\w*) (?:[\w']+ ){0,3}?(?:dans|par) (?:le |la |l')?"
                        r"|lecture de (?:ses|leurs)|(?:fac|faculte|ufr|licence|master|prof|professeure?|agregation"
                        r"|capes|etudiante?s?|departement|maison) (?:de|des|en))\s*$")   # "la fac de lettres"
# The letters an answer answers: "la réponse que nous avons reçue de l'ambassade à nos lettres d'avril",
# "suite à notre courrier", "accuse réception de vos lettres": told as what was answered, not as a deed
ANSWERED = re.compile(r"(?:\breponses?\b[^.;!?]{0,60}?\b(?:a|aux)|\bsuite (?:a|aux)|\baccuse\w* (?:bonne )?reception"
                      r" (?:de|des|d'))\s+(?:nos|notre|vos|votre|mes|ma|mon|leurs?|ces|cette|ce|la|le|les|l')?\s*(?:\d+\s+)?$")
# "écrit hier au préfet", "ont écrit, chacun de sa main, au président": up to 3 words (4 in commas) before "à"
WROTE_TO = re.compile(r"\b(?:ecrit|adresse|envoye|deposee?s?|remise?s?)(?:(?: (?!a\b|au\b|aux\b)[a-z0-9'/-]+){0,3}?"
                      r"|, (?:[a-z'-]+ ){1,3}?[a-z'-]+,) (?:a|au|aux)\b")
MEET_TARGET = re.compile(r"\b(?:" + _OFFICIAL + r"|ambassadeur|ambassadrice|ministres?|consule?s?"
                         r"|conseillere? diplomatique|cabinet d[ue] )\b")
MEETING = re.compile(r"\b(?:rencontre\w*|rendez-vous|rdv|entretiens?|entrevues?|audiences?|recue?s? (?:par|en|a|au)"
                     r"|sollicite\w* (?:par ecrit|par courrier|par mail|par courriel)"
                     r"|(?:nous |m'|les |vous )(?:a|ont) (?:\w+ )?recue?s?|(?:a|ont) (?:bien )?voulu (?:nous|me) recevoir"
                     r"|(?:a|ont) (?:bien )?accepte de (?:nous |me )?recevoir|remis\w* en mains? propres?"
                     r"|visites? (?:a la permanence|au cabinet|au bureau) d(?:u|e|es|')"
                     r"|(?:alle|allee|alles|allees|passe|passes|passees?) (?:le \d{1,2}(?:er)? [a-z]+ )?(?:voir|a la permanence d(?:u|e|es|'))"
                     r"|recue?s? le \d{1,2}(?:er)? [a-z]+ (?:\d{4} )?par"      # "a été reçu le 24 septembre par"
                     r"|(?:a|ont) recu (?:une delegation|(?:deux|trois|quatre|\d+) (?:membres|representante?s|benevoles))"
                     r"|reunion avec|interpelle\w*|relance\w*|plaidoyer|echange\w* avec)\b")
# One appearance or street action whatever the subject's number: "on est passé·es sur radio Campus",
# "une action photo devant l'hôtel de ville"
APPEARANCE = re.compile(r"\bpassee?\W?e?s? (?:sur|a) (?:la |l')?(?:radio|tele|television|france (?:bleu|inter|culture"
                        r"|info|3)|rfi|rcf|fr3)\b"
                        # "deux membres sont intervenus au lycée Valin devant trois classes": one outing
                        r"|\bintervenue?s? (?:en|dans|au|aux|a la|a l'|devant) (?:des |les |une? |la |le )?(?:lycees?"
                        r"|colleges?|ecoles?|classes?|universites?|facs?|mediatheques?|mjc)\b"
                        r"|\bune action (?:[a-z]+ ){0,2}?devant (?:la |le |l')?(?:hotel de ville|mairie|prefecture"
                        r"|ambassade|consulat|palais|tribunal)\b"
                        # "j'ai été interviewée sur la radio associative", "le quotidien en a rendu compte"
                        r"|\bete (?:interviewee?s?|invitee?s?) (?:[a-z'-]+ ){0,4}?(?:sur|par|a|au|dans) (?:la |l'|le |une? )?"
                        r"(?:radio|tele|television|journal|quotidien|hebdomadaire|emission|plateau|chaine"
                        r"|france (?:bleu|inter|culture|info|3)|rfi|rcf|fr3)"
                        r"|\b(?:journal|quotidien|hebdomadaire|presse|gazette|magazine|radio|chaine)\b[^.;]{0,60}?"
                        r"\ben a (?:rendu compte|fait (?:l'|un |son )?(?:echo|compte rendu|article|reportage))"
                        r"|\ben a (?:parle|fait (?:une breve|un papier|un sujet))(?= le \d| dans (?:son|ses|sa) (?:edition"
                        r"|pages|journal|numero)| en une| sur (?:son|ses) (?:site|antenne|ondes))")
EVENT = re.compile(r"\b(?:stands?|chalets?(?= (?:au|du|sur|place|de noel))|chaines? humaines?|courses? solidaires?|(?<!de )lectures? (?:de (?:poemes|textes|temoignages|contes|extraits)"
                   r"|musicales?|theatralisees?|marathon)|expos?(?! de (?:la|ce) situation)"
                   r"|breves?(?= (?:sur|dans|a propos|consacree))|entrefilets?|conferences?(?:-debats?)?|confs?(?= (?:a|au|sur|avec|de|le|du)\b)|projections?(?:-debats?)?|cine-debats?|debats?|concerts?"
                   r"|lectures? publiques?|expositions?|rassemblements?|manifestations?|veillees?|vigiles?"
                   r"|marches? (?:silencieuse|solidaire|blanche)s?|marches? des fiertes|interviews?|emissions?|reportages?"
                   r"|(?:passage|intervention|chronique|duplex|invitee?s?) (?:[a-z'-]+ ){0,3}?(?:a la |sur (?:la )?)radio"
                   r"|interventions? (?:en|dans|au|aux|a la|a l'|devant) (?:des |les |une? |la |le )?(?:lycees?|colleges?"
                   r"|ecoles?|classes?|universites?|facs?|mediatheques?|bibliotheques?|mjc|centres? sociaux|centre social)"
                   r"|articles?(?! \d)|(?:tribunes?|lettres? ouvertes?)(?= (?:[a-z'-]+ ){0,4}?(?:parue?s?|publiee?s?|dans))"
                   r"|(?<=publie )(?:notre|nos|une|la|sa|leur) (?:tribunes?|lettres? ouvertes?)"
                   r"|parle\w* de (?:notre|nos) (?:action|mobilisation|stand|campagne|groupe|cercle|antenne)s?"
                   r"|tables? rondes?|tractages?|distributions? de tracts|spectacles?|flash-?mobs?"
                   r"|soirees?(?:-debat| debat| de soutien| publique| quiz| cine| concert| projection)|projos?"
                   r"|ateliers? publics?|communiques? de presse"
                   r"|actions? de sensibilisation|distribu\w* (?:[a-z0-9'-]+ ){0,3}?(?:tracts?|flyers?)"
                   r"|projete (?:un|le|notre|des|leur) (?:film|documentaire)s?)\b")
# A gathering the group held or took part in, named by what it is rather than from a closed list of
# events: the noun of a public gathering as the object of a verb of holding or joining ("tenu une table
# d'information", "participé à la soirée « Droits humains »", "porté la banderole dans le cortège"), or
# heading a list item ("- le 9 avril, soirée quiz ouverte à tous").
_GATHERING = (r"(?:tables? d'information|tables?|soirees?(?! (?:d'|d')?ecriture| de (?:lettres|cartes))|fetes?"
              r"|journees?|forums?|salons?|festivals?|villages?"
              r"|corteges?|defiles?|quiz|brocantes?|braderies?|kermesses?|tournois?|repas|pique-niques?|galettes?"
              r"|gouters?|lotos?|randonnees?|nuits?|veillees?|matinees?|fest-noz|bals?"
              r"|cafes?-debats?|aperos?|reunions? publiques?|rencontres? publiques?|cine-clubs?|courses? solidaires?"
              r"|marches? (?:pour|de soutien|solidaires?))\b")
# "Notre soirée quiz du 19 mars a cartonné": a gathering that is ours by its possessive
OURS_GATHERING = re.compile(r"\b(?:notre|nos) (?:(?:premiere?s?|grande?s?|petite?s?|traditionnel\w*) )?(?P<noun>"
                            + _GATHERING + r")")
HOSTED = re.compile(r"\b(?:tenu\w*|tenir|tenions|tenait|organis\w*|anim\w*|particip\w*|monte\w*|porte\w*"
                    r"|installe\w*|(?:etions|etait|etaient|etais) (?:presente?s? )?(?:le (?:[a-z]+ )?\d{1,2}(?:er)? [a-z]+ )?(?:a|au|aux|sur)(?! (?:coeur|centre) d))\b[^.;:]{0,50}?"
                    r"\b(?P<noun>" + _GATHERING + r")"
                    # the gathering as the subject: "le loto ... a eu lieu le 1er février", "le fest-noz du 18 avril,
                    # organisé avec ..., a été une très belle soirée"
                    r"|\b(?P<held>" + _GATHERING + r")[^.;:]{0,80}?\b(?:a eu lieu|ont eu lieu|s'est (?:tenue?|deroulee?)"
                    r"|se sont (?:tenue?s|deroulee?s)|a ete une (?:[a-z]+ ){0,3}?(?:soiree|fete|journee|reussite|succes)"
                    # "le fest-noz du 8 août a fait 230 entrées", "a réuni une centaine de personnes"
                    r"|a (?:fait|reuni|rassemble|attire|accueilli) (?:pres de |plus de |environ )?(?:\d+|une? \w+aine)"
                    r" (?:de |d')?(?:entrees|personnes|participante?s|spectat\w+|visiteu\w+|danseu\w+)"
                    r"|a fait (?:salle comble|le plein))\b"
                    # "nous avions une table au vide-grenier": a table one had at an event
                    r"|\b(?:nous|on) (?:avions|avait|a eu|avons eu) (?:une |notre )?(?P<had>tables?(?: d'information)?)"
                    r" (?:au|a la|a l'|aux|sur|pendant|lors)\b"
                    # "Au forum des associations le 5 septembre, on a fait signer la pétition": we were there
                    # (a gathering named by what it is: not "pendant la soirée", the one just told)
                    r"|^\W*(?:au|a la|a l'|aux) (?P<at>" + _GATHERING + r") (?:de |d'|des |du |[a-z]+ )"
                    r"(?=[^.;]*\b(?:on a|nous avons|j'ai|nous y avons|on y a)\b)")
LEAD_GATHERING = re.compile(r"^\W*(?:le |les )?(?:\d{1,2}(?:er)?(?:/\d{1,2}| [a-z]+)?\s*[,:-]?\s*)?(?:une? |la |le )?"
                            r"(?P<noun>" + _GATHERING + r")")
PETITION = re.compile(r"\b(?:petitions?|signatures?|fait signer|signe(?:e|s|es)? (?:la|notre|une|cette) petition)\b"
                      r"|(?<=\d )sign\.(?=\s|$)")
COLLAB = re.compile(r"\b(?:en partenariat|partenariat avec|en collaboration|co-?organis\w*|conjointement"
                    r"|avec (?:l'|une |les |des )(?:asso|association|ong|collectif)s?\b(?! (?:protegeons|de la section))"
                    r"|partenaires? (?:de|du|pour) (?:la |l'|le |notre |cette |ce |nos )"
                    r"|organisee?s? (?:[a-z'-]+ ){0,4}?par (?:l'|la |le |les |des |une? )(?!groupe|cercle|antenne|equipe)"
                    r"|avec qui nous (?:avons |avions )?(?:partag|organis|anim|tenu|prepar|mont|co-?organis)\w*"
                    r"|sur (?:le|la) (?:stand|table) (?:de|d'|du|des) (?!notre|nos|l'antenne|la section|groupe|cercle d'action"
                    r"|l'equipe)|aux cotes d(?:u|e|es|')\s?|"
                    # "organisé avec le cercle celtique Ar Vro", not with our own structure or members
                    r"(?<!co-)organise\w* avec (?:l'|la |le |les |des |une? )(?!groupe|cercle d'action|antenne"
                    r"|equipe(?! locale d)"                      # "avec l'équipe locale du CCFD": a partner's
                    r"|membres|benevoles|jeunes|eleves|habitants|enfants)|"
                    r"en compagnie d(?:u|es|e la|e l')\s?(?:benevoles|militant\w*|membres|amis|association|collectif)|"
                    r"(?:association|collectif|club|amicale)\b[^.;]{0,80}?\bnous (?:a|avait|ont|avaient) (?:invite|accueilli"
                    r"|convie)e?s?|"
                    # a choir or a troupe performing for us: "donné par la chorale « Chœur de Loire »",
                    # "La chorale Les Voix du Suzon avait accepté de chanter"
                    r"(?:donne|anime|assure|offert|joue|chante)e?s? par (?:la |le |l'|les )(?:chorale|fanfare|troupe"
                    r"|compagnie|orchestre|ensemble|harmonie)|\bla (?:chorale|fanfare|troupe|compagnie)\b[^.;]{0,60}?"
                    r"\b(?:a|avait|ont|avaient) (?:accepte|bien voulu|chante|joue|anime|offert)|"
                    r"avec la participation d|coordonne\w* avec|en lien avec|avec (?:l'|la |le |les |des |nos |notre )"
                    r"(?:association|collectif|section|ong\b|federation|ligue|syndicat|comite|coordination"
                    r"|amis(?! d(?:u|es) (?:groupes?|cercles?)\b| de l'antenne)"     # not "nos amis du groupe 242"
                    r"|club|paroisse|mjc|maison des|centre social|chorale|fanfare|troupe|compagnie|orchestre"
                    r"|cercle celtique))\w*")
# A partner named only by its name or acronym, in the words as written: "avec la LDH de Clermont",
# "avec Artisans du Monde", "avec deux membres de la section locale de la Ligue des droits de l'Homme".
PARTNER_NAME = re.compile(
    r"\b[Aa]vec (?:(?:deux|trois|quatre|des|plusieurs|quelques) (?:membres|militant\w*|bénévoles|amis|amies)"
    r" (?:(?:de |d'|du |des )(?=(?:l'|la |le |les |l’)?[A-ZÉÈ]))?)?"
    r"(?:(?:de |d'|du |des )?(?:l'|la |le |les |l’)?(?:section|antenne|délégation|groupe) [a-zé]+ (?:de |d'|du |des )"
    r"(?:la |le |l'|l’)?)?(?:l'|la |le |les |l’)?(?!M\.|Mme|Mlle|Monsieur|Madame|Me\b|Maître|Dr\b|Docteur)"
    r"(?P<org>[A-ZÉÈ][A-ZÉÈ0-9&-]{1,}\b|[A-ZÉÈ][a-zéèêëàâîïôûüç'’-]+(?: (?:[a-zéèàô'’]+ ){0,3}[A-ZÉÈ][\w'’-]+)*)")
FUND_NOUN = re.compile(r"\b(?:fonds d'aide|fonds d'urgence|au fonds|pour le fonds|du fonds|quete|cagnotte)\b")
FUND = re.compile(r"\b(?:versee?s?|versons|versements?|verser|reverse\w*|dons? de|fait un don|virement|cheque|"
                  r"collecte de fonds)\b")
AMOUNT_ANAPHORA = re.compile(r"\b(?:cette somme|ce montant|l'integralite|la recette|le produit|le benefice"
                             r"|ces fonds)\b")
_PLANNED = (r"sera|seront|serons|serai|allons|allez|vais|vont|prevoy\w*|prevoit|prevu(?:e|s|es)? (?:de|pour)|prevue?s?(?=\s*:)|(?:est|sont) prevue?s?|envisag\w*"
            r"|compt(?:ons|e|ent) (?!rendu)\w+er\b|projets?|projet(?:ons|te|tent|ez)|prochaine?s?|prochainement"
            r"|a venir|(?:s'est|se sont) engagee?s? a|(?:a|ont) promis de|promise?s? par|next steps?"
            r"|(?:on|je|nous) prepar(?:e|ons)|en (?:cours de )?preparation"
            r"|(?:apres-)?demain|la semaine prochaine|le mois prochain|oubliez"
            r"|se tiendr(?:a|ont)|auront? lieu|se deroulera|se derouleront|reflechi(?:t|ssons|ssent) a"
            r"|devons|devrons|doivent|devrait|devraient|devrions|doit|souhait\w*|aimeri\w*|aimerai\w*|voudri\w*"
            r"|voudrai\w*|pourr\w*|peux|pouvons|peut|pouvez|nous (?:\w+ )?\w+rons|on \w+ra|j'\w+rai|je \w+rai"
            r"|d'ici|bientot|essayer|tenter|si (?:vous|besoin|necessaire|possible)|au cas ou"
            # a subjunctive after a permission or a purpose: "a accepté que nous tenions un stand en mai"
            r"|(?:" + "|".join(f"(?<={w} )" for w in ("accepte", "propose", "souhaite", "demande", "suggere",
                                                       "autorise", "pour", "afin", "avant"))
            + r")qu(?:e |')(?:nous|on|le groupe|notre groupe)")
_PAST = (r"(?:etions|etais|etait|etaient) (?:presente?s? )?(?:a|au|aux|sur)\b"     # "nous étions au village"
         r"|(?:avons|avez|ai|as|a|ont|avions|aviez|avait|avaient)\s+(?:(?:aussi|egalement|deja|enfin|bien|tous|toutes"
         r"|ensemble|notamment|encore|donc|ainsi|alors|finalement|meme|pu|su|du|ete|par ailleurs|personnellement"
         r"|de (?:mon|notre|son|leur) cote|recemment|hier|aujourd'hui|ce matin|ce week-end)\s+)*(?!une\b|cette\b|notre\b|votre"
         r"\b|leur\b|toute\b|quelque|plusieurs\b|besoin\b|lieu\b|envie\b|une?\b|\d|plus\b|pas\b|jamais\b|rien\b"
         r"|toujours\b|souvent\b|beaucoup\b|peu\b|tres\b|trop\b|tous\b|des\b|les\b|ces\b|mes\b|tes\b|ses\b"
         r"|nos\b|vos\b)[a-z-]+(?:e|es|ee|ees|i|is|ie|ies"
         r"|u|us|ue|ues|t|ts|te|tes)\b"
         r"|(?:ete|sommes|suis|est|sont|etions|etait|etaient)\s+(?:\w+\s+){0,2}?(?:recu|alle|venu|parti|passe|intervenu"
         r"|reste|rendu|mobilise|envoye|organise|adresse|publie|paru|diffuse|remis|signe|ecrit|recueilli|collecte"
         r"|verse|tenu|realise)\w*"
         r"|(?<!\bla )(?<!\bune )(?<!\bnotre )(?<!\bcette )(?<!\bvotre )(?<!\bleur )(?<!\bde )(?<!\betre )"
         r"(?:collectee?s?|recueillie?s?|envoyee?s?|adressees?|co-?organise\w*|tenue?s?|versee?s?|signees?|ecrites?"
         r"|redigee?s?|remise?s?|publiee?s?|parue?s?|diffusee?s?|recoltee?s?|realisee?s?|effectuee?s?|expediee?s?"
         r"|obtenue?s?|recue?s?|postees?|deposees?|transmises?)"
         # a bare participle with a time gone by: "virement fait ce matin par notre trésorière"
         r"|(?:faite?s?|effectuee?s?|partie?s?|envoyee?s?|expediee?s?|remise?s?|versee?s?) (?:ce matin|hier|avant-hier|aujourd'hui|cette semaine"
         r"|la semaine derniere|ce week-end|le week-end dernier|le mois dernier)")
YOURS = re.compile(r"\b(?:votre|vos)\s+(?:[a-z'-]+\s+)?$")   # "votre stand", "vos actions": the team's, not theirs
# A list that asks ("Pourriez-vous me communiquer :", "J'aimerais savoir :") holds questions, not deeds.
QUESTION_INTRO = re.compile(r"\b(?:pourriez|pouvez|pourrais|peux|pourrait)(?:-vous|-tu|-on)?\b[^.!?]{0,40}$"
                            r"|\bmerci de (?:me|nous) (?:communiquer|dire|donner|indiquer|envoyer|transmettre)\b[^.!?]{0,30}$"
                            r"|\b(?:voudrais|aimerais|souhaite\w*|voudrions|aimerions) (?:savoir|connaitre|avoir)\b[^.!?]{0,30}$")
RESULT_LINE = re.compile(r"^\W*(?:au total|en tout|total|bilan|resultats?|au final|recompte(?: fait)?|decompte"
                         r"|chiffre exact|fait|deja fait|realise|c'est fait)\b[^:.]{0,40}:")
MARKER = re.compile(r"\b(?:(?P<planned>" + _PLANNED + r")|(?P<past>" + _PAST + r"))\b")
NEGATED = re.compile(r"\b(?:n'(?:avons|ai|a|ont) pas|n'(?:avons|ai|a|ont) (?:encore )?(?:rien|jamais)|pas encore(?! d[e'])"
                     r"|sans (?:pouvoir|avoir)|faute de|annulee?s?|reportee?s?)\b")
ANAPHORA = re.compile(r"^(?:pendant (?:l'|la |le |les |cette |ce |cet )|a l'issue (?:de la |du |de l'|des )"
                      r"|au cours de (?:cette |ce |cet |la |l')|lors de (?:cette |ce |cet )|a cette occasion|sur place"
                      r"|ce jour-la|le meme jour|a la fin (?:de la |du |de l')|apres (?:la |le |l')(?:lecture|concert"
                      r"|conference|debat|projection|stand))")
CLAUSE_BREAK = re.compile(r",\s*(?:et|puis|mais)\s|;\s|\s(?:et|puis|mais)\s+(?:j'|je\s|nous\s|on\s|il\s|elle\s|ils\s"
                          r"|n'|ne\s"        # "nous avons envoyé 40 cartes et n'avons rien entendu depuis"
                          r"|elles\s)")
SAME_DAY = re.compile(r"\b(?:le meme (?:jour|soir|matin|apres-midi)|ce (?:jour|soir)-la|a cette occasion|sur place"
                      r"|a l'entree|(?:sur|a) (?:le|notre) stand|au stand|(?:dans|pendant|durant|au cours de) la (?:soiree"
                      r"|journee|matinee)|a la sortie(?= ?,)|a l'issue(?= ?,))\b")   # the event just told
_NOT_COUNT_WORD = r"(?!de\b|d'|" + "|".join(MONTHS) + r"\b|h\b|min\b|ans?\b|jours?\b|heures?\b)"
PETITION_COUNT = re.compile(r"(\d+)\s+(?:" + _NOT_COUNT_WORD + _W + r"\s+)?signatures\b"
                            r"|(\d+)\s+(?:" + _W + r"\s+)?(?:ont|avaient) signe"
                            r"|signatures\b[^.;:\d]{0,40}:\s*(\d+)\b"
                            r"|petition (\d+) sign\b"                 # "pétition 130 sign." (an abbreviation)
                            r"|(\d+) sign\.(?=\s|$)"                      # "73 sign. pour les journalistes"
                            # "23 collègues l'ont signée"
                            r"|(\d+)\s+(?:" + _W + r"\s+)?(?:l'ont|l'avaient|la signent|l'a) signee?s?\b"
                            # "fait signer 340 personnes", "fait signer la pétition ... à 18 personnes"
                            r"|fait signer (?:[a-z'-]+ ){0,6}?(\d+)\s+(?:personnes|passante?s|visiteu\w+|gens"
                            r"|participante?s|spectat\w+|eleves|etudiante?s|collegues|amie?s|membres)\b")
NUMBER_BEFORE = re.compile(r"(?:^|[\s(,:;])(\d+|une?|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|seule?)\s+"
                           r"(?:" + _NOT_COUNT_WORD + _W + r"\s+)?$")
EACH = re.compile(r"\b(\d+)\s+(?:" + _NOT_COUNT_WORD + _W + r")\b")

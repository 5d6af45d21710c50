"""Every Dutch sentence of convgrade's feedback (ps1_nl), keyed as in :mod:`.en`.

A key missing here is said in English (:mod:`autograder.language` falls back), so a
Dutch assignment needs only the sentences its checks can produce.
"""
from __future__ import annotations

PHRASES = {
    "score": "Score: %g van %g",
    "headline": "%s: %d van de %d gevallen goed (%.0f%% van de punten).",
    "same_mistake": "%s: dezelfde fout als hierboven.",
    "more_cases": "... en nog %d geval zoals deze.",
    "more_cases_plural": "... en nog %d gevallen zoals deze.",
    "likely_misconception": "Waarschijnlijk misverstand: %s",
    "graded_by_teacher": "Dit beoordeelt je docent.",
    "no_answer": "Geen antwoord gegeven.",
    "no_response": "Geen antwoord.",
    # met wiens getallen een opdracht met de hand is nagekeken (autograder.pipeline.identity)
    "id_own": "Je antwoorden zijn nagekeken met de getallen van het nummer dat je typte, %s: volgens de "
              "klassenlijst van je docent is dat jouw nummer.",
    "id_classmate": "Je typte MY_ID = \"%s\", maar dat is het nummer van een andere leerling in je klas. Je "
                    "antwoorden zijn nagekeken met je eigen getallen (die van %s). Heb je je vergist? Zeg het "
                    "tegen je docent: die kan zien wat je antwoorden opleveren met de andere getallen.",
    "id_unknown": "Je typte MY_ID = \"%s\", maar je werk staat op naam van %s, en de klassenlijst van je docent "
                  "laat niet zien dat het nummer dat je typte van jou is. Daarom zijn je antwoorden nagekeken met "
                  "de getallen van het nummer waaronder je werk staat. Heb je met andere getallen gewerkt? Zeg "
                  "het tegen je docent.",
    "not_submitted": "%s.ipynb is niet ingeleverd.",
    "corrupt_notebook": "Je notebook %s.ipynb kon niet gelezen worden, dus er is niets in nagekeken: open het in "
                        "Jupyter, sla het op en lever het opnieuw in (de reden, voor je docent: %s).",
    "test_cell_error": "Deze testcel gaf een foutmelding.",
    # de figuur bij een foute kenmerkkaart
    "figure_expected": "verwacht",
    "figure_yours": "jouw kaart",
    "figure_title": "verwachte kaart en jouw kaart",
    "figure_title_channel": "verwachte kaart en jouw kaart (kanaal %d)",
    "figure_cells_wrong": "; %d van de %d vakjes fout (rood)",
    "figure_shapes_differ": "; ze zijn niet even groot",
    "figure_alt": "<verwachte kaart en jouw kaart>",
    # wat een geval is, in een bericht
    "case_variable": "de variabele %s",
    # de records van een controle beoordelen (autograder.pipeline.score)
    "never_reached": "%s is nooit nagekeken: een eerdere fout, te weinig tijd of een vastgelopen notebook hield "
                     "het eerder op.",
    "raised_as_it_should": "%s gaf %s, zoals het hoort.",
    "raised": "%s gaf een foutmelding, %s: %s",
    "should_raise": "; het hoort %s te geven",
    "unreadable_value": "%s gaf een waarde die niet te lezen was (%s).",
    "no_value": "Je hebt %s nog niet beantwoord: vervang `raise NotImplementedError()` in de cel door je "
                "antwoord en voer de cel uit.",
    "below_raise": "Je antwoord %s staat onder `raise NotImplementedError()`, dus het is nooit uitgevoerd en kon "
                   "niet nagekeken worden: haal die regel weg en voer de cel uit.",
    "results_forged": "de uitkomsten van deze controle zijn vaker geschreven dan ze draaide: code in het notebook "
                      "schreef in het uitkomstenbestand van het nakijken, dus deze controle levert niets op",
    "list_expected": "Verwacht: een lijst van %d getallen, maar je gaf %s.",
    "list_not_numbers": "iets wat geen lijst getallen is",
    "a_shape": "vorm %s",
}

TITLES = {
    "ps1_nl.bump": "1D-kenmerkkaart (answer_bump)",
    "ps1_nl.vertical_map": "Detector voor verticale lijnen (answer_vertical)",
    "ps1_nl.horizontal_map": "Detector voor horizontale lijnen (answer_horizontal)",
    "ps1_nl.combined_map": "Beide kaarten samen (answer_combined)",
    "ps1_nl.smiley": "Kenmerkdetector op de smiley (answer_smiley)",
    "ps1_nl.flipped_kernel": "Kern een halve slag gedraaid (answer_flipped)",
    "ps1_nl.correlation": "Kruiscorrelatie (answer_correlation)",
    "ps1_nl.convolution": "Convolutie (answer_convolution)",
    "ps1_nl.output_sizes": "Uitvoergroottes (answer_sizes)",
    "ps1_nl.dilated_size": "Uitvoergrootte met dilatatie (answer_dilated)",
    "ps1_nl.max_pool": "Max pooling (answer_max_pool)",
    "ps1_nl.avg_pool": "Average pooling (answer_avg_pool)",
    "ps1_nl.rgb": "Eén plek op een kleurenafbeelding (answer_rgb)",
    "ps1_nl.layer_maps": "Kenmerkkaarten van een laag (answer_layer_maps)",
    "ps1_nl.layer_weights": "Gewichten van een laag, biases meegeteld (answer_layer_weights)",
}

#: The misconceptions a Dutch assignment (ps1_nl) can diagnose; the others are said in English.
MISCONCEPTIONS = {
    "flipped_kernel": (
        "Je hebt de kern omgedraaid (dat is de 'convolutie' uit de signaalverwerking). Een laag van "
        "een CNN legt de kern op de afbeelding zoals hij is, vermenigvuldigt de vakjes die op elkaar "
        "liggen en telt ze op: niet draaien."),
    "transposed": (
        "Je rijen en kolommen zijn verwisseld. Het eerste getal is de rij (naar beneden), het tweede "
        "de kolom (naar rechts)."),
    "off_by_one": (
        "Er ontbreekt er één: je bent de +1 vergeten (of één plek te vroeg gestopt). Het aantal plekken "
        "is floor((n - k + 2p) / s) + 1; de +1 telt de eerste plek."),
    "not_floored": (
        "Je hebt niet naar beneden afgerond. Als de stappen niet precies passen, valt de laatste halve "
        "stap weg: gebruik // en tel een venster dat niet past niet mee."),
    "padding_once": (
        "Je hebt de opvulling maar één keer geteld. De opvulling komt aan beide kanten, dus ze telt "
        "als 2p: floor((n - k + 2p) / s) + 1."),
    "no_padding": "Je bent de opvulling (padding) vergeten: eerst komt er een rand van p nullen omheen.",
    "stride_ignored": (
        "Je hebt de stapgrootte (stride) overgeslagen: het filter springt per stap `stride` vakjes "
        "op, niet één."),
    "dilation_ignored": (
        "Je hebt de dilatatie overgeslagen. Een kern van k vakjes met dilatatie d beslaat "
        "d * (k - 1) + 1 vakjes; gebruik die breedte in plaats van k."),
    "overlapping_pool_windows": (
        "Je vensters overlappen, omdat je ze steeds één vakje opschoof. Een poolingvenster schuift "
        "met de stapgrootte op (2 bij 2 x 2 pooling), dus de blokken liggen naast elkaar."),
    "average_instead_of_max": (
        "Je hebt van elk blok het gemiddelde genomen. Max pooling houdt het grootste getal van elk "
        "blok."),
    "max_instead_of_average": (
        "Je hebt van elk blok het grootste getal genomen. Average pooling neemt het gemiddelde van de "
        "getallen in het blok."),
    "bias_forgotten": "Je bent de bias vergeten: tel hem op bij de som van alle producten.",
}

LABELS = {
    "row": "rij %d",
    "position": "plek %d",
}

NOTES = {
    "kernel_unturned": "Dit is de kern zoals hij was: draai hem ondersteboven en van links naar rechts.",
    "is_cross_correlation": "Dit is de kruiscorrelatie: voor de convolutie draai je de kern eerst een halve slag.",
}


# --------------------------------------------------------------------------- de schoolstem
# Voor ps1_nl (leerlingen van 14-18 jaar), met de sleutels van en.SCHOOL: eerst wat goed is,
# dan één oorzaak in gewone woorden, dan een volgende stap.

SCHOOL = {
    "right": "Goed zo!",
    "all_right": "alles goed. Goed zo!",
    "right_following": "Goed voor je eigen %s. Goed zo!",
    "own_maps": "verticale en horizontale kaart hierboven: je gecombineerde kaart is precies hun som",
    "own_kernel": "gedraaide kern hierboven: je convolutie is precies wat die geeft",
    "own_count": "aantal kenmerkkaarten hierboven: je aantal gewichten is precies wat dat geeft",
    "count_right": "%d van je %d getallen kloppen.",
    "count_right_one": "%d van je %d getallen klopt.",
    "count_none": "Nog geen van je %d getallen klopt.",
    "close": "Je bent er bijna!",
    "first_wrong_1d": "Het eerste foute getal is getal %d.",
    "first_wrong_2d": "Het eerste foute getal staat in rij %d, kolom %d.",
    "next_step": "Volgende stap: %s",
    "same_mistake": "%s: dezelfde fout als in %s.",
    "shape_0d": "één getal",
    "shape_1d": "%d getallen",
    "shape_2d": "%d rijen van %d getallen",
    "shape_nd": "een blok van %s getallen",
    "wrong_shape": "Getallen zijn het goede soort antwoord, maar je gaf %s waar %s gevraagd worden.",
    "number_too_large": "Je hebt één getal getypt, zoals gevraagd, maar het is te groot.",
    "number_too_small": "Je hebt één getal getypt, zoals gevraagd, maar het is te klein.",
    "list_length": "Je hebt %s getypt; het moeten er %d zijn.",
    "ragged": "Je andere rijen hebben allemaal %d getallen, maar rij %d heeft er %d.",
    "ragged_step": "elke rij heeft evenveel getallen nodig: kijk in rij %d of er een getal te veel of te weinig "
                   "staat (of een komma ontbreekt).",
    "not_numbers": "Dit antwoord is een lijst getallen, maar je gaf %s.",
    "not_a_number": "Dit antwoord is één getal, maar je gaf %s.",
    "given_text": "de tekst \"%s\"",
    "given_none": "niets (None)",
    "given_not_a_list": "iets wat geen lijst is",
    "given_type": "iets anders (een %s)",
    "text_is_a_place": "Dat lijkt op een rij en een kolom: hier wordt gevraagd wat je op die plek telt.",
    "type_numbers": "typ je getallen zonder aanhalingstekens, zoals in het voorbeeld in de antwoordcel.",
    "type_a_number": "typ één getal zonder aanhalingstekens, bijvoorbeeld 12.",
    "not_finite": "Je getal is geen echt getal (het is nan of oneindig).",
    "step_signal": "leg het filter op elke plek van het signaal, vermenigvuldig de 3 paren en tel ze op.",
    "redo_signal": "reken getal %d opnieuw uit: leg het filter op die plek, vermenigvuldig de 3 paren en tel ze "
                   "op.",
    "step_map": "leg het filter op elke plek, vermenigvuldig de 9 paren die op elkaar liggen en tel ze op.",
    "redo_map": "reken rij %d opnieuw uit: leg het filter op elke plek van die rij, vermenigvuldig de 9 paren "
                "die op elkaar liggen en tel ze op.",
    "redo_sum": "reken rij %d opnieuw uit: tel je verticale en je horizontale kaart vakje voor vakje op.",
    "step_kernel": "draai de kern ondersteboven en daarna van links naar rechts: het getal linksboven komt "
                   "rechtsonder.",
    "redo_kernel": "doe rij %d opnieuw: draai de kern ondersteboven en daarna van links naar rechts; het getal "
                   "linksboven komt rechtsonder.",
    "redo_convolution": "reken rij %d opnieuw uit: draai de kern eerst een halve slag, leg hem dan op elke plek, "
                        "vermenigvuldig de 9 paren en tel ze op.",
    "step_smiley": "leg het vakje linksboven van het filter op de gegeven rij en kolom, en tel de vakjes waar "
                   "het filter en de afbeelding allebei een 1 hebben.",
    "step_size": "tel hoeveel stappen het venster kan zetten, (n + 2p - k) / s naar beneden afgerond, en tel er "
                 "dan 1 bij op voor de eerste plek.",
    "step_dilated": "een filter van k vakjes met dilatatie d beslaat d(k - 1) + 1 vakjes; tel hoeveel stappen "
                    "die breedte kan zetten, (n + 2p - breedte) / s naar beneden afgerond, en tel er dan 1 bij "
                    "op voor de eerste plek.",
    "redo_max_pool": "reken rij %d opnieuw uit: neem van elk blok van 2 x 2 het grootste getal.",
    "redo_avg_pool": "reken rij %d opnieuw uit: tel de 4 getallen van elk blok van 2 x 2 op en deel door 4.",
    "step_rgb": "vermenigvuldig de 27 paren (3 kanalen van 3 x 3), tel ze allemaal op en tel daarna de bias "
                "erbij.",
    "step_maps": "elk filter maakt één kenmerkkaart, dus tel de filters.",
    "step_weights": "één filter heeft k x k x C gewichten en 1 bias; vermenigvuldig dat met het aantal filters.",
    "shape_step_signal": "tel op hoeveel plekken het filter past: lengte van het signaal - lengte van het filter "
                         "+ 1.",
    "shape_step_map": "tel op hoeveel plekken het filter past: breedte van de afbeelding - breedte van het filter "
                      "+ 1, en naar beneden net zo.",
    "shape_step_convolution": "tel op hoeveel plekken de kern past: breedte van de afbeelding - breedte van de "
                              "kern + 1, en naar beneden net zo.",
    "shape_step_sum": "twee kaarten vakje voor vakje optellen houdt ze even groot.",
    "shape_step_kernel": "een kern draaien houdt hem even groot.",
    "shape_step_max_pool": "elk blok van 2 x 2 geeft één getal en de blokken liggen naast elkaar: de helft van "
                           "de rijen en de helft van de kolommen.",
    "shape_step_avg_pool": "elk blok van 2 x 2 geeft één getal en de blokken liggen naast elkaar: de helft van "
                           "de rijen en de helft van de kolommen.",
    "list_step_size": "typ één grootte voor elke rij van de tabel.",
    "list_step_smiley": "typ één aantal voor elk van de vier plekken.",
}

SCHOOL_MISTAKES = {
    "flipped_kernel": ("Je hebt goed vermenigvuldigd en opgeteld,", "maar je hebt het filter eerst omgedraaid.",
                       "leg het filter op de afbeelding zoals het is, zonder draaien, en reken het opnieuw uit."),
    "transposed": ("Alle goede getallen staan erin,", "maar je rijen en kolommen zijn verwisseld.",
                   "schrijf de kaart rij voor rij: de eerste rij is de bovenste, van links naar rechts."),
    "transposed/smiley": ("Je hebt goed geteld,", "maar met de rij en de kolom verwisseld.",
                          "het eerste getal van een plek is de rij (naar beneden), het tweede de kolom (naar "
                          "rechts)."),
    "transposed/kernel": ("Alle getallen staan erin,", "maar je hebt de kern gespiegeld in zijn diagonaal: rijen "
                          "werden kolommen.", "draai hem ondersteboven en daarna van links naar rechts; samen is "
                          "dat een halve slag."),
    "off_by_one": ("Je getallen kloppen tot zover ze gaan,", "maar je bent één plek te vroeg gestopt.",
                   "schuif door tot het filter bij het laatste getal is: er zijn grootte van de afbeelding - "
                   "grootte van het filter + 1 plekken."),
    "off_by_one/signal": ("Je getallen kloppen tot zover ze gaan,", "maar je bent één plek te vroeg gestopt.",
                          "schuif door tot het filter bij het laatste getal is: er zijn lengte van het signaal - "
                          "lengte van het filter + 1 plekken."),
    "off_by_one/size": ("Je hebt de formule gebruikt,", "maar je bent de + 1 aan het eind vergeten.",
                        "tel hoeveel stappen het venster kan zetten en tel er 1 bij op voor de eerste plek."),
    "off_by_one/dilated": ("Je hebt de formule gebruikt,", "maar je bent de + 1 aan het eind vergeten.",
                           "tel hoeveel stappen het venster kan zetten en tel er 1 bij op voor de eerste plek."),
    "off_by_one/max_pool": ("Je blokken kloppen tot zover ze gaan,", "maar je bent één blok te vroeg gestopt.",
                            "ga door tot het laatste blok van 2 x 2 dat past."),
    "off_by_one/avg_pool": ("Je blokken kloppen tot zover ze gaan,", "maar je bent één blok te vroeg gestopt.",
                            "ga door tot het laatste blok van 2 x 2 dat past."),
    "not_floored": ("Je hebt de formule gebruikt,", "maar je hebt niet naar beneden afgerond.",
                    "als de deling niet precies uitkomt, laat je alles na de komma weg en tel je er 1 bij op."),
    "not_floored/max_pool": ("Je blokken kloppen,", "maar je hebt ook een blok gebruikt dat over de rand steekt.",
                             "gebruik alleen de blokken van 2 x 2 die helemaal passen."),
    "not_floored/avg_pool": ("Je blokken kloppen,", "maar je hebt ook een blok gebruikt dat over de rand steekt.",
                             "gebruik alleen de blokken van 2 x 2 die helemaal passen."),
    "padding_once": ("Je hebt de formule gebruikt,", "maar je hebt de opvulling maar aan één kant geteld.",
                     "de opvulling komt aan beide kanten: tel 2 x p bij n op."),
    "no_padding": ("Je hebt de formule gebruikt,", "maar je bent de opvulling vergeten.",
                   "tel 2 x p bij n op voordat je k aftrekt."),
    "stride_ignored": ("Je hebt de formule gebruikt,", "maar je hebt niet door de stapgrootte gedeeld.",
                       "deel de stappen door de stapgrootte s, rond naar beneden af en tel er 1 bij op."),
    "dilation_ignored": ("Je hebt de formule gebruikt,", "maar je gebruikte k, terwijl het gedilateerde filter "
                         "breder is.", "een filter van k vakjes met dilatatie d beslaat d(k - 1) + 1 vakjes: "
                         "gebruik dat in plaats van k."),
    "average_instead_of_max": ("Je hebt de goede blokken van 2 x 2 gebruikt,", "maar je nam hun gemiddelde.",
                               "max pooling houdt alleen het grootste getal van elk blok."),
    "max_instead_of_average": ("Je hebt de goede blokken van 2 x 2 gebruikt,", "maar je nam hun grootste getal.",
                               "average pooling telt de 4 getallen van elk blok op en deelt door 4."),
    "overlapping_pool_windows": ("Je hebt het goede soort waarde genomen,", "maar je blokken overlappen: je "
                                 "schoof steeds één vakje op.", "schuif het blok steeds 2 vakjes op, zodat de "
                                 "blokken naast elkaar liggen."),
    "bias_forgotten": ("Je som van de producten klopt,", "maar je bent de bias vergeten.",
                       "tel de bias bij je som op."),
    "bias_forgotten/weights": ("Je hebt de gewichten van de filters goed geteld,",
                               "maar elk filter heeft ook één bias-getal.", "tel er voor elk filter 1 bij op."),
}

SCHOOL_NOTES = {
    "kernel_unturned": ("Dit is de kern zoals hij was.", "draai hem ondersteboven en daarna van links naar "
                        "rechts."),
    "is_cross_correlation": ("Dit is de kruiscorrelatie: de kern is niet gedraaid.",
                             "draai de kern eerst een halve slag en schuif hem dan zoals eerst over de afbeelding."),
}


def verdict(v):
    """The Dutch sentence(s) of a :class:`~autograder.records.Verdict`: shorter than the
    English ones, with the explanation of its misconception when there is a Dutch one."""
    if v.fraction >= 1.0 - 1e-12:
        return "Goed."
    if v.kind in ("not_a_number", "not_finite"):
        message = "Verwacht: een getal."
    elif v.kind == "wrong_number":
        message = "Dit is niet het verwachte getal."
    elif v.kind == "not_numbers":
        message = "Verwacht: getallen in de vorm %s, maar dit is geen rooster van getallen." % (v.expected_shape,)
    elif v.kind == "wrong_shape":
        message = "Verwacht: vorm %s; jouw antwoord heeft vorm %s." % (v.expected_shape, v.submitted_shape)
    elif v.kind == "wrong_entries":
        rtol, atol = v.tolerance
        message = ("De vorm %s klopt, maar %d van de %d getallen %s niet (toegestane afwijking: "
                   "%g + %g * |verwacht|); het eerste foute getal staat op plek %s."
                   % (v.expected_shape, v.wrong, v.total, "klopt" if v.wrong == 1 else "kloppen", atol, rtol,
                      v.first_wrong))
    elif v.kind == "not_a_list":
        got = PHRASES["list_not_numbers"] if v.submitted_shape is None else PHRASES["a_shape"] % (
            v.submitted_shape,)
        return PHRASES["list_expected"] % (v.total, got)
    else:
        raise ValueError("verdict: unknown kind %r" % v.kind)
    if v.misconception in MISCONCEPTIONS:
        message += " " + MISCONCEPTIONS[v.misconception]
    return message


# =========================================================================== ps2_nl / ps3_nl
# The sentences ps2_nl ("Convolutie in code") and ps3_nl ("Filters op echte foto's") need beyond
# those above, keyed as in :mod:`.en`. They are added with setdefault: a sentence above (ps1_nl's
# wording) is never replaced, so the two blocks can be reworded independently.

PS2_PS3_PHRASES = {
    # around every check's cases (autograder.pipeline.score, .feedback)
    "case_call": "%s(%s)",
    "case_call_unnamed": "%s(...)",
    "case_variable": "de variabele %s",
    "labelled": "%s: %s",
    "never_reached": "%s is nooit aan de beurt gekomen: een eerdere fout, een time-out of een gestopte kernel "
                     "beëindigde de uitvoering eerder.",
    "raised_as_it_should": "%s gaf een %s, zoals het hoort.",
    "raised": "%s gaf een foutmelding %s: %s",
    "should_raise": "; het hoort een %s te geven",
    "tripwire_removed": "%s zette de controle op bibliotheekconvoluties (sys.setprofile) uit, dus dit levert "
                        "geen punten op.",
    "library_called": "%s riep de bibliotheekconvolutie %s aan; bij deze opdracht schrijf je die zelf, dus dit "
                      "levert geen punten op.",
    "library_in_source": "%s gebruikt de bibliotheekconvolutie %s; bij deze opdracht schrijf je die zelf, dus "
                         "dit levert geen punten op.",
    "unreadable_value": "%s gaf een waarde die niet te lezen was (%s).",
    "results_forged": "de resultaten van deze controle zijn vaker geschreven dan de controle liep: code in het "
                      "notebook schreef in het resultatenbestand van het nakijkprogramma, dus deze controle "
                      "levert niets op",
    "figure_expected": "verwacht",
    "figure_yours": "jouw antwoord",
    "figure_title": "verwachte kenmerkkaart en de jouwe",
    "figure_title_channel": "verwachte kenmerkkaart en de jouwe (kanaal %d)",
    "figure_cells_wrong": "; %d van de %d vakjes fout (rood)",
    "figure_shapes_differ": "; de vormen verschillen",
    "figure_alt": "<verwachte en ingeleverde kenmerkkaart>",
    # ps2_nl
    "output_size_should_raise": "gaf %r terug, maar de kern past niet in de opgevulde invoer (n + 2p < k), "
                                "dus hier hoort een ValueError.",
    "size_not_int": "de goede grootte, maar als %s: een grootte is een geheel getal, dus geef een int terug "
                    "(deel met //).",
    "ps2_settings": ", stride %d, padding %d",
    "ps2_sizes_plain": "groottes zonder opvulling of stapgrootte",
    "ps2_sizes_padding": "groottes met opvulling",
    "ps2_sizes_stride_uneven": "groottes waarbij n - k + 2p niet deelbaar is door de stapgrootte",
    "ps2_sizes_padding_stride_uneven": "groottes met opvulling, waarbij n - k + 2p niet deelbaar is door de "
                                       "stapgrootte",
    "ps2_sizes_padding_stride": "groottes met opvulling en stapgrootte",
    "ps2_kernel_fits_exactly": "een kern die precies in de opgevulde invoer past",
    "ps2_kernel_too_large": "een kern die groter is dan de invoer (hoort een ValueError te geven)",
    "ps2_kernel_too_large_padded": "een kern die groter is dan de opgevulde invoer (hoort een ValueError te "
                                   "geven)",
    "ps2_random_signal": "een willekeurig signaal van lengte %d en een willekeurige kern van lengte %d",
    "ps2_delta_signal": "een deltakern [0, 1, 0]: het antwoord is het signaal zonder het eerste en het laatste "
                        "getal",
    "ps2_impulse": "een signaal met één 1 in het midden: in het antwoord staat de kern (achterstevoren) met "
                   "nullen eromheen",
    "ps2_linear_signal": "een combinatie 2A - 3B van twee willekeurige signalen (lineariteit)",
    "ps2_random_image": "een willekeurige afbeelding van %s, kern van %s%s",
    "ps2_delta_image": "een willekeurige afbeelding van 6x8 en een deltakern van 3x3 (één 1 in het midden), "
                       "padding 1: het antwoord is de afbeelding zelf",
    "ps2_linear_image": "een combinatie 2A - B van twee willekeurige afbeeldingen van 7x6, kern van 3x3, "
                        "stride 2, padding 1 (lineariteit)",
    "ps2_shifted": "een plaatje van 10x11, %d omlaag en %d naar rechts verschoven, kern van 3x3: de "
                   "kenmerkkaart hoort net zo ver mee te schuiven (verschuivingsinvariantie)",
    "ps2_relu_random": "een willekeurige array van %s met positieve en negatieve getallen en nullen",
    "ps2_relu_positive": "een willekeurige positieve array van 1x1: het antwoord is de invoer zelf",
    "ps2_relu_negative": "een willekeurige array van 3x4 met alleen negatieve getallen: het antwoord is "
                         "helemaal nul",
    "ps2_pool_defaults": "standaardwaarden",
    "ps2_pool_settings": "size %s, stride %s",
    "ps2_pool_random": "een willekeurige array van %s, %s",
    "ps2_pool_negative": "een willekeurige array van 6x6 met alleen negatieve getallen, standaardwaarden",
    "ps2_layer_random": "een willekeurige afbeelding van %s, %d willekeurige filters van %s en een bias%s",
    "ps2_layer_delta": "een willekeurige afbeelding van 5x7x3, 3 deltafilters die elk één kanaal "
                       "overnemen, bias nul, padding 1: het antwoord is de afbeelding zelf",
    "ps2_layer_linear": "een combinatie A - 2B van twee willekeurige afbeeldingen van 6x6x2, 2 willekeurige "
                        "filters van 3x3x2 en een bias (lineariteit: de bias telt één keer mee)",
    # ps3_nl
    "returned_should_raise": "%s gaf een waarde terug; hier hoort een ValueError.",
    "shape_answer_expected": "%s moet een vorm (rijen, kolommen) zijn: twee gehele getallen, bijvoorbeeld "
                             "(10, 12); je gaf %r.",
    "filter_3x3_expected": "my_diagonal_filter moet een array van 3x3 getallen zijn; je gaf %s.",
    "filter_not_finite": "my_diagonal_filter bevat NaN of oneindige waarden.",
    "diagonal_right": "Goed: je filter reageert minstens twee keer zo sterk op '\\'-lijnen als op de andere.",
    "diagonal_dark": "Op een zwarte afbeelding met één witte '\\'-lijn is de sterkste reactie van je filter "
                     "%.3g, niet positief: het licht niet op bij de lijn.",
    "diagonal_rival": "Op zwarte afbeeldingen met één witte lijn is de sterkste reactie van je filter op de "
                      "'\\'-lijn %.3g, maar op de '%s'-lijn %.3g; dat mag hoogstens de helft van de "
                      "'\\'-reactie zijn. Geef negatieve gewichten aan de vakjes die een '%s'-lijn wel "
                      "bedekt en een '\\'-lijn niet.",
    "ps3_random_9x7": "een willekeurige afbeelding van 9x7 en een willekeurige kern van 3x3",
    "ps3_random_6x10": "een willekeurige afbeelding van 6x10 en een kern van 2x4",
    "ps3_delta": "een kern van 5x5 met één 1 (de uitkomst is een verschoven uitsnede van de afbeelding)",
    "ps3_kernel_as_large": "een kern zo groot als de afbeelding (één plek)",
    "ps3_one_row": "een afbeelding van één rij en een kern van 1x3",
    "ps3_uint8": "een foto van 7x7 als uint8 (gehele getallen 0-255) en een kern met negatieve gewichten",
    "ps3_settings": "%s, stride=%d, padding=%d",
    "ps3_random_image_kernel": "een willekeurige afbeelding van %dx%d en een kern van %dx%d",
    "ps3_steps_uneven": "een willekeurige afbeelding van 10x7 en een kern van 3x2 (de stappen passen niet "
                        "precies)",
    "ps3_fits_by_padding": "een afbeelding van 3x3 en een kern van 5x5 die alleen dankzij de opvulling past",
    "ps3_1x1": "een afbeelding van 6x6 en een kern van 1x1",
    "ps3_stride_0": "een afbeelding van 5x5, stride=0 (de stapgrootte is minstens 1)",
    "ps3_padding_negative": "een afbeelding van 5x5, padding=-1 (opvulling kan niet negatief zijn)",
    "ps3_rgb_random": "een willekeurige RGB-afbeelding van 7x8 en een filter van 3x3x3",
    "ps3_rgb_4_channels": "een willekeurige afbeelding van 5x9 met 4 kanalen en een filter van 3x2x4",
    "ps3_rgb_1_channel": "een afbeelding van 6x6 met één kanaal en een filter van 2x2x1",
    "ps3_rgb_only_blue": "een filter van 3x3x3 waarvan de rode en groene laag nul zijn (alleen blauw telt)",
    "ps3_relu_pool_random": "een willekeurige kenmerkkaart van %dx%d, size=%d",
}

PS2_PS3_TITLES = {
    "ps2_nl.output_size": "output_size (hoe groot wordt de kenmerkkaart?)",
    "ps2_nl.conv1d": "conv1d (schuiven langs een signaal)",
    "ps2_nl.conv2d": "conv2d (schuiven over een afbeelding)",
    "ps2_nl.relu": "relu (negatieve waarden worden 0)",
    "ps2_nl.max_pool2d": "max_pool2d (het grootste getal per venster)",
    "ps2_nl.avg_pool2d": "avg_pool2d (het gemiddelde per venster)",
    "ps2_nl.conv_layer": "conv_layer (een convolutielaag)",
    "ps3_nl.apply_filter": "apply_filter(image, kernel)",
    "ps3_nl.feature_value": "De Sobel-kaart aflezen (answer_map_shape, answer_pixel_value)",
    "ps3_nl.filter_image": "filter_image(image, kernel, stride, padding)",
    "ps3_nl.output_sizes": "Uitvoergroottes met stapgrootte en opvulling",
    "ps3_nl.rgb_filter": "rgb_filter(image, kernel) op kleurenafbeeldingen",
    "ps3_nl.relu_pool": "relu_pool(feature_map, size)",
    "ps3_nl.diagonal_filter": "my_diagonal_filter, een detector van '\\'-lijnen",
}

PS2_PS3_MISCONCEPTIONS = {
    "same_odd_pixel_top_left": (
        "Bij 'same'-opvulling met een oneven aantal nullen komen de extra rij en kolom onder en rechts, niet "
        "boven en links."),
    "padding_one_side": (
        "Je hebt de opvulling maar aan één kant gezet. Zet aan elke kant `padding` nullen: boven en onder, "
        "links en rechts."),
    "channels_confused": (
        "De kanalen staan op de verkeerde plek. Hier is een afbeelding (hoogte, breedte, kanalen), zijn de "
        "filters (kh, kw, invoerkanalen, filters) en is de uitkomst (hoogte, breedte, filters): de kanalen "
        "komen als laatste."),
    "relu_forgotten": (
        "Je bent de ReLU vergeten. Vervang na het filteren elke negatieve waarde door 0 en laat de rest "
        "staan."),
    "channels_not_summed": (
        "Je hebt maar één kanaal gebruikt. Een filter voor een kleurenafbeelding heeft voor elk kanaal een "
        "eigen laag: vermenigvuldig elk kanaal met zijn eigen laag en tel alle producten op, zodat elke plek "
        "één getal oplevert."),
    "channels_averaged": (
        "Je hebt het gemiddelde over de kanalen genomen. Een filter telt de producten van al zijn kanalen "
        "op: tel de kaarten van de kanalen bij elkaar op en deel niet door het aantal kanalen."),
}

PS2_PS3_LABELS = {
    "name": "%s",
    "call": "%s(%s)",
}

PS2_PS3_NOTES = {
    "integer_dtype": "Je uitkomst is een array van gehele getallen (dtype %s): de sommen zijn afgerond of "
                     "overgelopen. Zet de afbeelding eerst om naar kommagetallen (np.asarray(image, dtype=float)) "
                     "en begin met np.zeros(..., dtype=float).",
    "unsigned_dtype": "Je uitkomst heeft dtype %s, en dat kan geen negatieve getallen bevatten; zet de "
                      "afbeelding eerst om naar kommagetallen.",
    "map_entry_of_centre": "Dat is map[%d, %d]: de kaart is kleiner dan de afbeelding, en plek [i, j] hoort bij "
                           "het vlakje met image[i, j] linksboven, dus met image[i + 1, j + 1] in het midden.",
    "flipped_sobel": "Jouw waarde is wat de omgedraaide Sobel-kern geeft.",
    "solve_for_p": "Tip: de kaart houdt de grootte van de afbeelding als n - k + 2p + 1 = n; los dat op naar p.",
    "check_crop": "Controleer de uitsnede: 8 rijen vanaf rij %d en 8 kolommen vanaf kolom %d van astronaut.",
}

for _table, _added in ((PHRASES, PS2_PS3_PHRASES), (TITLES, PS2_PS3_TITLES),
                       (MISCONCEPTIONS, PS2_PS3_MISCONCEPTIONS), (LABELS, PS2_PS3_LABELS), (NOTES, PS2_PS3_NOTES)):
    for _key, _text in _added.items():
        _table.setdefault(_key, _text)


# -- the feedback page (autograder/publish/feedback_pages.py, autograder/pipeline/feedback.py) -------
PHRASES.update({
    "page_score": "Punten: %s van %s",
    "page_contents": "Inhoud",
    "page_summary": "Samenvatting",
    "page_total": "Je punten: %s van %s.",
    "page_top": "(naar boven)",
    "page_your_answer": "Jouw antwoord",
    "page_your_task": "Jouw opdracht",
    "page_check": "Controle",
    "page_comments": "Opmerkingen:",
    "page_late_penalty": "Aftrek voor te laat: -%s",
    "page_missing": "Je notebook zat niet in je inlevering, dus elk onderdeel krijgt 0 punten.",
    "page_corrupt": "Je notebook kon niet gelezen worden, dus elk onderdeel krijgt 0 punten.",
    "page_timeout": "Je notebook had te weinig tijd tijdens het nakijken: de onderdelen die het niet bereikte "
                    "krijgen 0 punten.",
    "page_crashed": "Je notebook stopte tijdens het nakijken (de kernel liep vast): de onderdelen daarna "
                    "krijgen 0 punten.",
    "page_error": "Je notebook kon niet nagekeken worden; je docent kijkt ernaar.",
    "page_late": "%s te laat ingeleverd: %s eraf, volgens de regels van de cursus.",
    "page_late_nothing_off": "%s te laat ingeleverd; volgens de regels van de cursus gaat er niets af.",
    "page_late_share": "%s%% van de punten (%s punten)",
    "page_late_unmeasured": "Door het systeem van de cursus als te laat gemarkeerd: %s eraf, volgens de regels "
                            "van de cursus.",
    "duration_minutes": "%d minuten",
    "duration_minute": "1 minuut",
    "duration_hours": "%d uur",
    "duration_hour": "1 uur",
    "duration_days": "%d dagen",
    "duration_day": "1 dag",
    "not_written": "Je hebt %s nog niet geschreven.",
    "not_written_above": "%s: nog niet geschreven (zie hierboven).",
    "calls_not_written": "%s roept %s aan, die je nog niet hebt geschreven (zie hierboven).",
})


# -- ps5_nl "Voorbij de gewone convolutie" (autograder/judging/checks/ps5.py) -------------------------
TITLES.update({
    "ps5_nl.transposed_by_hand": "Getransponeerde convolutie met de hand (answer_upsampled)",
    "ps5_nl.round_trip": "Heen en terug: convolutie, dan getransponeerde convolutie (answer_round_trip)",
    "ps5_nl.separable_weights": "Gewichten: standaard tegenover depthwise-separable (answer_standard_weights, "
                                "answer_separable_weights)",
    "ps5_nl.separable_mults": "Vermenigvuldigingen: standaard tegenover depthwise-separable (answer_standard_mults, "
                              "answer_separable_mults)",
    "ps5_nl.dilated_size": "Uitvoergrootte met dilatatie (answer_dilated_size)",
    "ps5_nl.dilated_map": "Een kenmerkkaart met dilatatie, met de hand (answer_dilated_map)",
    "ps5_nl.video": "Een 3D-convolutie op een videofragment (answer_video_shape, answer_video_weights)",
    "ps5_nl.receptive_field": "Receptief veld van een stapel lagen (answer_rf_plain, answer_rf_strided)",
    "ps5_nl.conv_transpose2d": "conv_transpose2d(x, w, stride)",
    "ps5_nl.depthwise_separable_conv2d": "depthwise_separable_conv2d(x, depthwise, pointwise)",
})
PHRASES.update({
    "ps5_random_transpose": "een willekeurige invoer van %s, kern van %s, stapgrootte %d",
    "ps5_single_one_transpose": "een invoer van 3x3 met één 1, willekeurige kern van 3x3, stapgrootte 2: de "
                                "uitkomst is de kern, neergelegd op twee keer de plek van de 1",
    "ps5_random_separable": "een willekeurige afbeelding van %s, depthwise-kernen van %s en pointwise-gewichten "
                            "van %s",
    "ps5_identity_separable": "een willekeurige afbeelding van 5x6x3, depthwise-kernen van 3x3 met één 1 in het "
                              "midden en pointwise-gewichten die niets mengen: de uitkomst is de afbeelding zonder "
                              "haar rand",
})
MISCONCEPTIONS.update({
    "transposed_is_inverse": (
        "Je hebt de afbeelding teruggeschreven. Een getransponeerde convolutie is niet de inverse van een "
        "convolutie: de vorm komt terug, en elke waarde is een kaartwaarde, via de kern over haar venster verdeeld."),
    "transpose_stride_ignored": (
        "Je hebt de kopieën van de kern één vakje uit elkaar gelegd, zoals bij stapgrootte 1. Bij stapgrootte s "
        "legt invoervakje (i, j) zijn kopie van de kern op uitvoervakje (s*i, s*j)."),
    "transpose_overlap_overwritten": (
        "Waar twee kopieën van de kern overlappen, hield je alleen de laatste. Een getransponeerde convolutie "
        "telt elke kopie op bij de uitvoer (out[...] += x[i, j] * w), dus overlap geeft een som."),
    "weight_count_bias_forgotten": (
        "Je bent de biases vergeten. Elk filter heeft naast zijn gewichten één bias, dus tel één getal per "
        "filter op (per uitvoerkanaal van elke stap)."),
    "separable_counted_as_standard": (
        "Je hebt de depthwise-separable laag geteld als een standaardconvolutie. Het zijn twee goedkope "
        "stappen: één k x k-filter per invoerkanaal, dan 1 x 1-filters die de kanalen mengen."),
    "pointwise_forgotten": (
        "Je hebt alleen de depthwise-stap geteld (of berekend). Een depthwise-separable convolutie heeft ook "
        "de pointwise 1 x 1-stap, die de kanalen tot de uitvoerkanalen mengt."),
    "mults_one_position": (
        "Je hebt de vermenigvuldigingen van één uitvoerplek geteld. De filters werken op elke plek van de "
        "uitvoer, dus vermenigvuldig met haar hoogte maal haar breedte."),
    "dilation_as_stride": (
        "Je hebt de dilatatie als stapgrootte gebruikt. Dilatatie zet de vakjes van de kern zelf d uit elkaar "
        "(hij beslaat d * (k - 1) + 1 vakjes), terwijl de kern nog steeds één vakje per keer opschuift."),
    "time_axis_not_convolved": (
        "Je hebt het aantal beelden gelijk gelaten. Een 3D-kern schuift ook door de tijd, dus de beelden volgen "
        "dezelfde formule als hoogte en breedte: floor((T - kt + 2p) / s) + 1."),
    "output_channels_from_input": (
        "Het laatste getal is het aantal invoerkanalen. Een convolutie geeft één uitvoerkaart per filter, dus "
        "de uitvoer heeft evenveel kanalen als er filters zijn."),
    "video_kernel_time_forgotten": (
        "Je hebt de gewichten van een 2D-kern geteld. Een 3D-kern heeft kt x kh x kw gewichten per invoerkanaal: "
        "vermenigvuldig ook met zijn diepte in de tijd."),
    "rf_plus_one_forgotten": (
        "Je bent de +1 vergeten. Eén uitvoervakje van één k x k-laag ziet k invoervakjes, dus het veld begint "
        "bij 1 en elke laag telt er (k - 1) maal de sprong tot dan toe bij op."),
    "rf_multiplied": (
        "Je hebt de kerngroottes vermenigvuldigd. Het receptieve veld groeit door optellen: elke 3 x 3-laag met "
        "stapgrootte 1 maakt het 2 vakjes breder, dus L lagen zien 1 + 2L vakjes."),
    "rf_strides_ignored": (
        "Je hebt de stapgroottes overgeslagen. Na een laag met stapgrootte s is één stap van de volgende laag s "
        "invoervakjes, dus elke latere laag telt (k - 1) maal het product van de eerdere stapgroottes op."),
    "rf_own_stride": (
        "Je hebt de (k - 1) van elke laag ook met zijn eigen stapgrootte vermenigvuldigd. Alleen de stapgroottes "
        "van de lagen ervoor tellen: de eigen stapgrootte bepaalt waar de volgende laag kijkt."),
})


# -- ps1 deel B: kaart met stapgrootte 2, opgevulde kaart, valid/same/full, fotofilters, gestapelde lagen --
TITLES.update({
    "ps1_nl.stride_map": "Een kaart met stapgrootte 2 (answer_stride)",
    "ps1_nl.padded_map": "Een kaart met opvulling 1 (answer_padded)",
    "ps1_nl.padding_modes": "Valid, same en full (answer_modes)",
    "ps1_nl.photo_filters": "Verscherpen, vervagen en randen op je foto (answer_filters)",
    "ps1_nl.receptive_field": "Gestapelde 3 x 3-lagen: wat één waarde ziet (answer_receptive)",
})
MISCONCEPTIONS.update({
    "padding_modes_swapped": (
        "Je gaf de grootte van een andere naam. 'valid' voegt geen nullen toe (n - k + 1), 'same' voegt aan "
        "elke kant (k - 1) / 2 toe en houdt n, 'full' voegt aan elke kant k - 1 toe (n + k - 1)."),
    "blur_not_divided": (
        "Je hebt de 9 pixels opgeteld maar niet door 9 gedeeld. Elk gewicht van het vervagingsfilter is 1/9, "
        "dus de uitkomst is het gemiddelde van de 9 pixels."),
    "centre_weight_forgotten": (
        "Je hebt de middelste pixel weggelaten. Het middelste gewicht vermenigvuldigt de pixel waarop het "
        "filter gecentreerd is; tel dat product ook op."),
    "centre_as_corner": (
        "Je hebt het vakje linksboven van het filter op de pixel gelegd. De pixel is het midden van het "
        "venster: het venster reikt één pixel erboven, eronder, links en rechts ervan."),
})
LABELS.update({  # valid, same and full are the libraries' names in Dutch too (en.LABELS)
    "filter_sharpen": "verscherpen", "filter_blur": "vervagen", "filter_edge": "randen",
    "stack_plain": "elke laag met stapgrootte 1", "stack_strided": "met de laag met stapgrootte 2",
})
SCHOOL.update({
    "step_stride_map": "leg het filter linksboven en schuif het steeds 2 vakjes naar rechts (en 2 rijen omlaag); "
                       "vermenigvuldig op elke plek de 9 paren en tel ze op.",
    "redo_stride_map": "doe rij %d opnieuw: het filter springt 2 vakjes per keer; vermenigvuldig op elke plek de "
                       "9 paren en tel ze op.",
    "shape_step_stride_map": "met stappen van 2 past een 3 x 3-filter op (5 - 3) / 2 + 1 = 2 plekken naast "
                             "elkaar en 2 onder elkaar.",
    "step_padded_map": "teken eerst een rand van nullen om de afbeelding (die wordt 5 x 5) en schuif het filter "
                       "daaroverheen: vermenigvuldig de 9 paren en tel ze op.",
    "redo_padded_map": "doe rij %d opnieuw: met de rand van nullen om de afbeelding, vermenigvuldig op elke plek "
                       "de 9 paren en tel ze op.",
    "shape_step_padded_map": "een rand van één nul maakt de 3 x 3-afbeelding 5 x 5, en daar past een 3 x 3-filter "
                             "op 3 x 3 plekken: even groot als de afbeelding.",
    "step_modes": "valid voegt geen nullen toe: n - k + 1; same houdt de grootte: n; full voegt aan elke kant "
                  "k - 1 nullen toe: n + k - 1.",
    "list_step_modes": "typ drie groottes, in de volgorde valid, same, full.",
    "step_photo": "leg het midden van het filter op de gegeven pixel, vermenigvuldig de 9 paren die op elkaar "
                  "liggen en tel ze op.",
    "list_step_photo": "typ drie getallen, in de volgorde verscherpen, vervagen, randen.",
    "step_receptive": "begin bij 1 pixel; elke 3 x 3-laag telt er 2 stappen bij op, en na een laag met "
                      "stapgrootte 2 is één stap 2 pixels.",
    "list_step_receptive": "typ twee getallen: alle lagen met stapgrootte 1, daarna met de laag met stapgrootte 2.",
})
SCHOOL_MISTAKES.update({
    "stride_ignored/stride_map": ("Je hebt goed vermenigvuldigd en opgeteld,", "maar je schoof het filter steeds "
                                  "1 vakje op.", "schuif het 2 vakjes naar rechts, en 2 rijen omlaag."),
    "no_padding/padded_map": ("Je hebt goed vermenigvuldigd en opgeteld,", "maar je liet de rand van nullen weg.",
                              "zet eerst rondom één nul om de afbeelding, zodat de kaart even groot blijft."),
    "padding_one_side/padded_map": ("Je hebt goed vermenigvuldigd en opgeteld,", "maar je nullen staan maar aan "
                                    "één kant.", "zet aan elke kant één nul: boven, onder, links en rechts."),
    "padding_modes_swapped/modes": ("Dat is een van de drie groottes,", "maar hij hoort bij een andere naam.",
                                    "valid is de kleinste (geen nullen), same houdt n, full is de grootste."),
    "off_by_one/modes": ("Je hebt de formule gebruikt,", "maar je bent de + 1 aan het eind vergeten.",
                         "tel de stappen die het filter kan zetten en tel er 1 bij op voor de eerste plek."),
    "blur_not_divided/photo": ("Je hebt de 9 pixels goed opgeteld,", "maar vervagen deelt hun som door 9.",
                               "elk gewicht van het vervagingsfilter is 1/9: deel je som door 9."),
    "centre_weight_forgotten/photo": ("Je hebt de buren goed gebruikt,", "maar je liet de middelste pixel weg.",
                                      "vermenigvuldig de middelste pixel met het middelste gewicht en tel dat op."),
    "centre_as_corner/photo": ("Je hebt goed vermenigvuldigd en opgeteld,", "maar je legde het vakje linksboven "
                               "van het filter op de pixel.", "leg het midden van het filter op de pixel."),
    "transposed/photo": ("Je hebt goed vermenigvuldigd en opgeteld,", "maar op de pixel met rij en kolom "
                         "verwisseld.", "het eerste getal is de rij (omlaag), het tweede de kolom."),
    "rf_multiplied/receptive": ("Je hebt de 3 x 3-lagen gebruikt,", "maar je vermenigvuldigde, terwijl het veld "
                                "groeit door optellen.", "begin bij 1 pixel en tel er per laag 2 bij op."),
    "rf_plus_one_forgotten/receptive": ("Je hebt per laag 2 opgeteld,", "maar je bent de 1 pixel vergeten "
                                        "waarmee je begint.", "begin bij 1 en tel er per 3 x 3-laag 2 bij op."),
    "rf_strides_ignored/receptive": ("Je hebt de lagen opgeteld,", "maar na de laag met stapgrootte 2 is elke "
                                     "stap 2 pixels.", "lagen na de laag met stapgrootte 2 tellen 4 op, niet 2."),
    "rf_own_stride/receptive": ("Je zag dat de stapgrootte het veld sneller laat groeien,", "maar de laag met "
                                "stapgrootte 2 zelf telt nog 2 op.", "alleen de lagen erna tellen 4 op."),
})


# -- quiz: de vragen uit de vragenbank (autograder/judging/checks/quiz.py; de eigen woorden van de vragen
# -- staan in autograder/kernel/items/*.toml) -----------------------------------------------------------
SCHOOL.update({
    "quiz_title": "Vraag %d",
    "quiz_right": "Goed: %s.",
    "quiz_chose": "Nog niet: je koos %s (%s).",
    "quiz_typed": "Nog niet: je typte %s.",
    "quiz_too_large": "Je getal is te groot.",
    "quiz_too_small": "Je getal is te klein.",
    "quiz_answer_choice": "Het goede antwoord is %s (%s).",
    "quiz_answer_number": "Het goede antwoord is %s.",
    "quiz_no_dict": "answers is nog geen dict met je antwoorden.",
    "quiz_no_dict_step": 'schrijf answers = {"q1": "b", "q2": 7, ...} met één regel per vraag.',
    "quiz_missing": "Er staat nog geen antwoord voor %s in answers.",
    "quiz_missing_step": 'zet "%s": jouw antwoord in de dict answers.',
    "quiz_not_a_letter": "%s is geen van de letters %s.",
    "quiz_letter_step": 'typ de letter van je keuze tussen aanhalingstekens, bijvoorbeeld "%s": "%s".',
    "quiz_not_a_number": "%s is geen getal.",
    "quiz_number_step": 'typ alleen het getal, bijvoorbeeld "%s": 12.',
})


# -- een inlevering die het nakijken helemaal niet lukte (autograder/pipeline/grade.py failed_result) ---
PHRASES.update({
    "grading_failed": "Je inlevering kon niet automatisch nagekeken worden, dus elk onderdeel staat voorlopig op "
                      "0 punten; je docent kijkt ernaar.",
})

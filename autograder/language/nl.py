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
    "not_submitted": "%s.ipynb is niet ingeleverd.",
    "test_cell_error": "Deze testcel gaf een foutmelding.",
    "list_expected": "Verwacht: een lijst van %d getallen, maar je gaf %s.",
    "list_not_numbers": "iets wat geen lijst getallen is",
    "a_shape": "vorm %s",
}

TITLES = {
    "ps1_nl.bump": "1D-kenmerkkaart (answer_bump)",
    "ps1_nl.vertical_map": "Verticale-lijndetector (answer_vertical)",
    "ps1_nl.horizontal_map": "Horizontale-lijndetector (answer_horizontal)",
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
        "Er ontbreekt er een: je bent de +1 vergeten (of een plek te vroeg gestopt). Het aantal plekken "
        "is floor((n - k + 2p) / s) + 1; de +1 telt de eerste plek."),
    "not_floored": (
        "Je hebt niet naar beneden afgerond. Als de stappen niet precies passen, valt de laatste halve "
        "stap weg: gebruik // en tel een venster dat niet past niet mee."),
    "padding_once": (
        "Je hebt de opvulling maar een keer geteld. De opvulling komt aan beide kanten, dus ze telt "
        "als 2p: floor((n - k + 2p) / s) + 1."),
    "no_padding": "Je bent de opvulling (padding) vergeten: eerst komt er een rand van p nullen omheen.",
    "stride_ignored": (
        "Je hebt de stapgrootte (stride) overgeslagen: het filter springt per stap `stride` vakjes "
        "op, niet een."),
    "dilation_ignored": (
        "Je hebt de dilatatie overgeslagen. Een kern van k vakjes met dilatatie d beslaat "
        "d * (k - 1) + 1 vakjes; gebruik die breedte in plaats van k."),
    "overlapping_pool_windows": (
        "Je vensters overlappen, omdat je ze steeds een vakje opschoof. Een poolingvenster schuift "
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
        message = ("De vorm %s klopt, maar %d van de %d getallen kloppen niet (toegestane afwijking: "
                   "%g + %g * |verwacht|); het eerste foute getal staat op plek %s."
                   % (v.expected_shape, v.wrong, v.total, atol, rtol, v.first_wrong))
    elif v.kind == "not_a_list":
        got = PHRASES["list_not_numbers"] if v.submitted_shape is None else PHRASES["a_shape"] % (
            v.submitted_shape,)
        return PHRASES["list_expected"] % (v.total, got)
    else:
        raise ValueError("verdict: unknown kind %r" % v.kind)
    if v.misconception in MISCONCEPTIONS:
        message += " " + MISCONCEPTIONS[v.misconception]
    return message

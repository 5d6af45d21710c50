"""Every claim ps5's text and the quiz's draw make about a student's numbers holds for thousands of ids.

ps5 and ps5_nl show each student numbers of their own (``convgrade_kernel.variants_ps5``); the
notebook's text says what they are ("your 2 x 2 input and 2 x 2 kernel ... a 4 x 4 list of lists",
"the shape came back, the image did not", "a 2 x 2 kernel with dilation 2 ... 4 x 4", a dilated row
where "dilation used as a stride" gives another number). The grader names a mistake when a typed
answer equals the value that mistake gives, so for every variant the right answer must differ from
each mistake's value. The quiz draws ten questions per student from the item bank; every draw must
be ten distinct items in the promised tier mix, each with a finite answer that no listed mistake
gives. PyTorch is the oracle for shapes, maps and parameter counts; the checks' keys are held to it.
Pure functions only: no kernel is started.
"""
from __future__ import annotations

import hashlib
import itertools
import math
from collections import Counter

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from autograder.judging.checks import ps5 as ps5_checks
from convgrade_kernel import item_bank
from convgrade_kernel.item_bank import MIX, answer_of, evaluate, load_bank
from convgrade_kernel.variants import variant
from tests.assignments.test_ps1_variant_claims import IDS

#: the checks whose key is a list of (variable, expected, {misconception: value}) rows
BY_HAND = [c for c in ps5_checks.ITEMS if issubclass(c, ps5_checks.ByHandItem)]


def _t(a):
    return torch.tensor(np.asarray(a, dtype=float), dtype=torch.float64)[None, None]


def _torch_rf(kernels, strides):
    """Pixels across that one output of stacked k x k layers (ones, given strides) depends on, by gradient."""
    x = torch.zeros(1, 1, 80, 80, dtype=torch.float64, requires_grad=True)
    y = x
    for k, s in zip(kernels, strides):
        y = F.conv2d(y, torch.ones(1, 1, k, k, dtype=torch.float64), stride=s)
    y[0, 0, y.shape[2] // 2, y.shape[3] // 2].backward()
    return int(np.count_nonzero(x.grad[0, 0].abs().sum(axis=0).numpy()))


def test_the_ids_cover_thousands_of_students():
    assert len(set(IDS)) >= 5000


def test_both_languages_show_the_same_numbers():
    """ps5_nl's checks judge against the same numbers as ps5's (one generator serves both)."""
    for student in IDS[::25]:
        english, dutch = variant("ps5", student), variant("ps5_nl", student)
        assert english.keys() == dutch.keys()
        for name in english:
            np.testing.assert_array_equal(english[name], dutch[name], err_msg="%s %s" % (student, name))


def test_each_variant_has_the_shapes_and_ranges_the_text_states():
    """Section by section, the sizes the notebook names and the ranges the generator promises."""
    for student in IDS:
        v = variant("ps5", student)
        where = "student %r" % student
        assert v["up_input"].shape == v["up_kernel"].shape == (2, 2), where
        assert v["up_input"].min() >= 1 and v["up_input"].max() <= 3, where
        # never its own 180-degree turn: a flipped kernel must show as a different answer
        assert not np.array_equal(v["up_kernel"], v["up_kernel"][::-1, ::-1]) and v["up_kernel"].any(), where
        assert v["round_image"].shape == (4, 4) and v["dilated_image"].shape == (6, 6), where
        assert v["dilated_kernel"].shape == (2, 2), where
        assert v["sep_kernel"] in (3, 5) and v["sep_kernel"] % 2 == 1, where  # odd: "same" padding keeps the size
        assert v["sep_in"] >= 1 and v["sep_out"] >= 1 and v["sep_size"] >= v["sep_kernel"], where
        frames, height, width, channels = (int(a) for a in v["video"])
        assert channels == 3 and frames >= int(v["video_kernel"][0]), where
        assert list(v["video_padding"]) == [0, v["video_kernel"][1] // 2, v["video_kernel"][2] // 2], where
        assert v["video_stride"][0] == 1 and v["video_stride"][1] == v["video_stride"][2] in (1, 2), where
        assert 3 <= v["rf_layers"] <= 6, where
        strides = [int(s) for s in v["rf_strides"]]
        # "at least one 2, never the last alone": otherwise the strides would not change the answer
        assert len(strides) == 4 and set(strides) <= {1, 2} and 2 in strides[:3], where


def test_the_transposed_convolution_gives_a_4_by_4_map_and_the_round_trip_not_the_image():
    """Section 1: stride 2 turns each 2 x 2 input into a 4 x 4 map (PyTorch's conv_transpose2d);
    the round trip through a stride-2 convolution and back gives a 4 x 4 map that is not the image;
    one id in five."""
    for student in IDS[::5]:
        v = variant("ps5", student)
        w = _t(v["up_kernel"])
        up = F.conv_transpose2d(_t(v["up_input"]), w, stride=2)[0, 0].numpy()
        assert up.shape == (4, 4)
        np.testing.assert_allclose(ps5_checks.transpose2d(v["up_input"], v["up_kernel"], 2), up)
        small = F.conv2d(_t(v["round_image"]), w, stride=2)
        assert small.shape[-2:] == (2, 2)
        back = F.conv_transpose2d(small, w, stride=2)[0, 0].numpy()
        assert back.shape == (4, 4)
        assert not np.array_equal(back, v["round_image"]), "student %r: the round trip gives the image back" % student


def test_the_dilated_questions_are_well_posed():
    """Section 3: the dilated kernel fits the row; PyTorch's dilated convolution gives the key's
    size; "dilation used as a stride" and "dilation ignored" give other sizes; the 2 x 2 kernel
    with dilation 2 on the 6 x 6 image gives a 4 x 4 map, the key's; one id in five."""
    for student in IDS[::5]:
        v = variant("ps5", student)
        n, k, p, d = (int(a) for a in v["dilated_row"])
        where = "student %r, row %s" % (student, (n, k, p, d))
        assert d >= 2 and d * (k - 1) + 1 <= n + 2 * p, where
        right = F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), padding=p, dilation=d).shape[-1]
        as_stride = F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), padding=p, stride=d).shape[-1]
        ignored = F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), padding=p).shape[-1]
        assert right != as_stride and right != ignored, where
        (_, expected, _), = ps5_checks.DilatedSize().key(v)
        assert expected == right, where
        dilated = F.conv2d(_t(v["dilated_image"]), _t(v["dilated_kernel"]), dilation=2)[0, 0].numpy()
        assert dilated.shape == (4, 4), where
        np.testing.assert_allclose(ps5_checks.DilatedMap().key(v)[0][1], dilated, err_msg=where)


def test_the_counts_agree_with_real_pytorch_layers():
    """Sections 2 and 4: weights of real Conv2d / Conv3d layers, "same" padding keeping the size,
    the video's output shape (meta tensors: shapes without arithmetic); one id in ten."""
    for student in IDS[::10]:
        v = variant("ps5", student)
        k, c_in, c_out, size = v["sep_kernel"], v["sep_in"], v["sep_out"], v["sep_size"]
        with torch.device("meta"):
            standard = torch.nn.Conv2d(c_in, c_out, k, padding=k // 2)
            separable = torch.nn.Sequential(torch.nn.Conv2d(c_in, c_in, k, padding=k // 2, groups=c_in),
                                            torch.nn.Conv2d(c_in, c_out, 1))
            assert standard(torch.zeros(1, c_in, size, size)).shape[-2:] == (size, size)
            counts = ps5_checks.layer_counts(k, c_in, c_out, size)
            assert counts["standard_weights"] == sum(p.numel() for p in standard.parameters())
            assert counts["separable_weights"] == sum(p.numel() for p in separable.parameters())
            # "far fewer weights and multiplications"
            assert counts["separable_weights"] < counts["standard_weights"] / 2
            assert counts["separable_mults"] < counts["standard_mults"] / 2
            frames, height, width, channels = (int(a) for a in v["video"])
            layer = torch.nn.Conv3d(channels, int(v["video_filters"]), tuple(int(a) for a in v["video_kernel"]),
                                    stride=tuple(int(a) for a in v["video_stride"]),
                                    padding=tuple(int(a) for a in v["video_padding"]))
            out = layer(torch.zeros(1, channels, frames, height, width)).shape
        assert list(ps5_checks.video_output(v)) == [out[2], out[3], out[4], out[1]], student
        assert ps5_checks.Video().key(v)[1][1] == sum(p.numel() for p in layer.parameters()), student


def test_the_receptive_fields_agree_with_gradients():
    """Section 5: the key's receptive fields are the width of a real gradient; one id in fifty."""
    for student in IDS[::50]:
        v = variant("ps5", student)
        (_, plain, _), (_, strided, _) = ps5_checks.ReceptiveField().key(v)
        layers, strides = int(v["rf_layers"]), [int(s) for s in v["rf_strides"]]
        assert plain == _torch_rf([3] * layers, [1] * layers), student
        assert strided == _torch_rf([3] * 4, strides), student


@pytest.fixture(scope="module")
def clashes():
    """{(check, variable, misconception): [ids whose right answer equals that mistake's value]},
    from one pass over every id; each right answer is asserted to be a whole number on the way
    (the answer key is typed as integers)."""
    found = {pair: [] for pair in PAIRS}
    for student in IDS:
        v = variant("ps5", student)
        for check in BY_HAND:
            for name, expected, mutants in check().key(v):
                expected = np.asarray(expected, dtype=float)
                assert np.array_equal(expected, np.round(expected)), (student, name)
                for misconception, value in mutants.items():
                    value = np.asarray(value, dtype=float)
                    if value.shape == expected.shape and np.allclose(value, expected):
                        found[check.__name__, name, misconception].append(student)
    return found


#: (check, variable, misconception) of every mistake the by-hand checks can name
PAIRS = [(check.__name__, name, misconception) for check in BY_HAND
         for name, _, mutants in check().key(variant("ps5", "demo-student")) for misconception in mutants]


@pytest.mark.parametrize("pair", PAIRS, ids="-".join)
def test_no_right_answer_equals_a_mistakes_value(clashes, pair):
    """The grader names a mistake when a typed answer equals its value: for no variant may the
    right answer equal one, or the item cannot tell that mistake from the right answer."""
    assert not clashes[pair], "%s: the right answer equals the mistake's value for ids %s" % (pair, clashes[pair][:10])


def test_the_round_trip_of_the_once_all_zero_id_is_not_what_a_flipped_kernel_gives():
    """s002178's first draw convolved to all zeros (every mistake then gave the right answer);
    the variant re-draws such an image."""
    (_, right, mistakes), = ps5_checks.RoundTrip().key(variant("ps5", "s002178"))
    assert right.any() and not np.array_equal(right, mistakes["flipped_kernel"])


#: sha256 of every number of ps5's variants of s000000-s000999 before the round-trip re-draw was
#: added (none of them re-draws): students who had well-posed numbers keep them
DIGEST_BEFORE_REDRAW = "36925011743fc6b9ce3e79eb243c404bbe8e8eaf8e7545d153b66174a28b3d83"


def test_students_whose_numbers_were_fine_keep_them():
    digest = hashlib.sha256()
    for student in ["s%06d" % i for i in range(1000)]:
        v = variant("ps5", student)
        for name in sorted(v):
            a = np.asarray(v[name], dtype=np.int64)
            digest.update(("%s/%s%s" % (student, name, a.shape)).encode())
            digest.update(a.tobytes())
    assert digest.hexdigest() == DIGEST_BEFORE_REDRAW


# ------------------------------------------------------------------ the quiz's draw

def test_the_quiz_texts_promise_the_mix_the_draw_uses():
    """"Five are core questions (level 1), three are level 2 and two are level 3"."""
    assert MIX == {1: 5, 2: 3, 3: 2}
    text = nbformat.read(item_bank.ITEMS_DIR.parents[2] / "source" / "quiz" / "quiz.ipynb", as_version=4).cells[0].source
    assert "Five are core questions (level 1), three are level 2 and two are level 3" in " ".join(text.split())


@pytest.mark.parametrize("assignment", ["quiz", "quiz_nl"])
def test_every_draw_is_ten_distinct_items_in_the_tier_mix_with_a_finite_right_answer(assignment):
    bank = load_bank()
    for student in IDS:
        slots = variant(assignment, student)["slots"]
        where = "%s student %r" % (assignment, student)
        ids = [s["item"] for s in slots]
        assert len(ids) == 10 and len(set(ids)) == 10, where
        tiers = [bank[i].tier for i in ids]
        assert tiers == sorted(tiers) and Counter(tiers) == Counter(MIX), where  # easy first
        for number, slot in enumerate(slots, 1):
            item, params = bank[slot["item"]], slot["params"]
            assert set(params) == set(item.params), where
            assert all(params[n] in item.params[n] for n in params), where
            if item.require:
                assert evaluate(item.require, params), (where, item.id, params)
            right = answer_of(item, params)
            if item.kind == "choice":
                assert item.choice(right) is not None and not item.choice(right).misconception, (where, item.id)
                assert len({c.key for c in item.choices}) == len(item.choices), (where, item.id)
            else:
                assert isinstance(right, (int, float)) and math.isfinite(right), (where, item.id, params)
    # the quiz's model answer is the same draw's key
    assert item_bank.answer_key(IDS[0]) == {
        "q%d" % n: answer_of(bank[s["item"]], s["params"]) for n, s in enumerate(variant("quiz", IDS[0])["slots"], 1)}


NUMBER_ITEMS = sorted(i for i, item in load_bank().items() if item.kind == "number")


@pytest.mark.parametrize("item_id", NUMBER_ITEMS)
def test_no_mistake_of_a_number_item_gives_its_right_answer(item_id):
    """Over every parameter combination the draw allows: a typed number equal to a mistake's value
    is explained by that mistake, so no mistake may give the right answer."""
    item = load_bank()[item_id]
    names = sorted(item.params)
    clashes = []
    for values in itertools.product(*(item.params[n] for n in names)):
        params = dict(zip(names, values))
        if item.require and not evaluate(item.require, params):
            continue
        right = answer_of(item, params)
        clashes += [(params, m.misconception) for m in item.mistakes
                    if math.isclose(evaluate(m.answer, params), right, rel_tol=1e-9,
                                    abs_tol=max(item.tolerance, 1e-9))]
    assert not clashes, "%s: the mistake gives the right answer for %s" % (item_id, clashes[:5])

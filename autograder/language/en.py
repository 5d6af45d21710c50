"""Every English sentence of convgrade's feedback: the one place to read or reword them.

- :data:`PHRASES` - fixed sentences and patterns, by key (``%`` placeholders);
- :data:`TITLES` - each check's headline name, by check id;
- :data:`MISCONCEPTIONS` - the explanation of each misconception, by key;
- :data:`LABELS`, :data:`NOTES` - how a :class:`~autograder.records.Verdict` names the
  part of an answer it judged, and its follow-through facts;
- :func:`verdict` - a verdict of :mod:`autograder.judging.diagnosis` in words;
- :data:`STATUS_WORDS` - a submission's status, for the teacher's report.
"""
from __future__ import annotations

PHRASES = {
    # around the checks' messages (feedback cells, nbgrader comments)
    "score": "Score: %g of %g",
    "headline": "%s: %d of %d cases right (%.0f%% of the marks).",
    "same_mistake": "%s: the same mistake as above.",
    "more_cases": "... and %d more case like these.",
    "more_cases_plural": "... and %d more cases like these.",
    "likely_misconception": "Likely misconception: %s",
    "graded_by_teacher": "Graded by your teacher.",
    "no_answer": "No answer given.",
    "no_response": "No response.",
    "not_submitted": "%s.ipynb was not submitted.",
    "test_cell_error": "This test cell raised an error.",
    # the figure of a wrong feature map
    "figure_expected": "expected",
    "figure_yours": "yours",
    "figure_title": "expected vs your feature map",
    "figure_title_channel": "expected vs your feature map (channel %d)",
    "figure_cells_wrong": "; %d of %d cells wrong (red)",
    "figure_shapes_differ": "; the shapes differ",
    "figure_alt": "<expected vs submitted feature map>",
    # what a case is, in a message
    "case_call": "%s(%s)",
    "case_call_unnamed": "%s(...)",
    "case_variable": "the variable %s",
    "labelled": "%s: %s",
    # scoring the records of a check (autograder.pipeline.score)
    "never_reached": "%s was never reached: an earlier error, a time-out or the kernel stopping ended the run first.",
    "raised_as_it_should": "%s raised %s, as it should.",
    "raised": "%s raised %s: %s",
    "should_raise": "; it should raise %s",
    "tripwire_removed": "%s switched off the grader's check for library convolutions (sys.setprofile), so it "
                        "earns nothing.",
    "library_called": "%s called the library convolution %s; this item asks you to write it yourself, so it "
                      "earns nothing.",
    "library_in_source": "%s uses the library convolution %s; this item asks you to write it yourself, so it "
                         "earns nothing.",
    "unreadable_value": "%s gave a value that could not be read (%s).",
    "results_forged": "the results of this check were written more often than it ran: code in the notebook "
                      "wrote into the grader's results file, so the check earns nothing",
    # ps1: a list answer of the wrong length
    "list_expected": "Expected a list of %d numbers, but got %s.",
    "list_not_numbers": "something that is not a list of numbers",
    "a_shape": "shape %s",
    # ps2
    "output_size_should_raise": "returned %r, but the kernel does not fit in the padded input (n + 2p < k), so "
                                "it should raise ValueError.",
    "size_not_int": "the right size, but as %s: a size is a whole number, so return an int (use // for the "
                    "division).",
    # ps3
    "returned_should_raise": "%s returned a value; it should raise ValueError.",
    "shape_answer_expected": "%s must be a shape (rows, columns): two whole numbers, for example (10, 12); got %r.",
    "filter_3x3_expected": "my_diagonal_filter must be a 3x3 array of numbers; got %s.",
    "filter_not_finite": "my_diagonal_filter contains NaN or infinite values.",
    "diagonal_right": "Right: it responds to '\\' lines at least twice as strongly as to the others.",
    "diagonal_dark": "On a black image with one white '\\' line your filter's strongest response is %.3g, not "
                     "positive: it does not light up on the line.",
    "diagonal_rival": "On black images with one white line, your filter's strongest response to the '\\' line is "
                      "%.3g, but to the '%s' line it is %.3g; it must be at most half of the '\\' response. Give "
                      "negative weights to the cells a '%s' line covers but a '\\' line does not.",
    # ps4
    "tuple_expected": "%s must return a tuple of %d values; got %s.",
    "sequence_of_length": "a %s of length %d",
    "parts_right": "Right: %s.",
    "one_number_expected": "Expected one number, but got an array of shape %s. %s (%s)",
    "numerical_gradient_hint": "(The gradient of the squared error, numerically: perturb one entry at a time by "
                               "+h and -h, divide the change of f by 2h, and put the entry back before the next "
                               "one.)",
    "kernel_array_expected": "%s must be a %dx%d array of numbers; got %s.",
    "kernel_diverged": "%s contains NaN or infinite values: the training diverged (try a smaller learning rate).",
    "detector_right": "Right: on new images its maps correlate r = %.3f with the detector's.",
    "detector_weak": "%s: on new line images its maps correlate only r = %.3f with the target detector's maps "
                     "(full marks from r = %.2f, none below %.2f). Check the gradient you use for w, and train "
                     "longer or with another learning rate.",
    "learned_kernel": "learned_kernel",
    "trained_kernel": "the kernel train_detector returned",
    "labels_expected": "predict must return an array of labels; got %s.",
    "scores_not_labels": "predict returned one score per digit (shape %s); return the label with the highest "
                         "score instead (argmax over axis 1).",
    "one_label_per_image": "predict must return one label per image, shape %s; got shape %s.",
    "digits_right": "Right: %.1f%% of the test digits (target %.0f%%).",
    "digits_partial": "Your network recognises %.1f%% of the test digits; the target is %.0f%% (partial credit "
                      "from %.0f%%, guessing).",
}

TITLES = {
    "ps1.bump": "1D feature map (answer_bump)",
    "ps1.vertical_map": "Vertical line detector (answer_vertical)",
    "ps1.horizontal_map": "Horizontal line detector (answer_horizontal)",
    "ps1.combined_map": "Both maps combined (answer_combined)",
    "ps1.smiley": "Feature detector on the smiley (answer_smiley)",
    "ps1.flipped_kernel": "Kernel turned a half turn (answer_flipped)",
    "ps1.correlation": "Cross-correlation (answer_correlation)",
    "ps1.convolution": "Convolution (answer_convolution)",
    "ps1.output_sizes": "Output sizes (answer_sizes)",
    "ps1.dilated_size": "Output size with dilation (answer_dilated)",
    "ps1.max_pool": "Max pooling (answer_max_pool)",
    "ps1.avg_pool": "Average pooling (answer_avg_pool)",
    "ps1.rgb": "One position on a colour image (answer_rgb)",
    "ps1.layer_maps": "Feature maps of a layer (answer_layer_maps)",
    "ps1.layer_weights": "Weights of a layer, biases included (answer_layer_weights)",
    "ps2.output_size": "output_size",
    "ps2.conv1d": "conv1d",
    "ps2.conv2d": "conv2d",
    "ps2.relu": "relu",
    "ps2.max_pool2d": "max_pool2d",
    "ps2.avg_pool2d": "avg_pool2d",
    "ps2.conv_layer": "conv_layer",
    "ps3.apply_filter": "apply_filter(image, kernel)",
    "ps3.feature_value": "Reading the Sobel map (answer_map_shape, answer_pixel_value)",
    "ps3.filter_image": "filter_image(image, kernel, stride, padding)",
    "ps3.output_sizes": "Output sizes with stride and padding",
    "ps3.rgb_filter": "rgb_filter(image, kernel) on colour images",
    "ps3.relu_pool": "relu_pool(feature_map, size)",
    "ps3.diagonal_filter": "my_diagonal_filter, a detector of '\\' lines",
    "ps4.conv2d_backward": "conv2d_backward(dout, x, w)",
    "ps4.numerical_gradient": "numerical_gradient(f, x, h), through conv_numeric_grads(x, w, b, target)",
    "ps4.learn_detector": "Learning a line detector by gradient descent",
    "ps4.conv_layer": "conv_layer_forward and conv_layer_backward",
    "ps4.digits_cnn": "The tiny CNN on the 8x8 digits: predict(images)",
}

#: Student-facing explanations, one per misconception key.
MISCONCEPTIONS = {
    "flipped_kernel": (
        "You turned the kernel around (that is the 'convolution' of signal processing). "
        "A CNN layer lays the kernel on the image as it is, multiplies the cells that "
        "overlap and adds them up: no flipping."),
    "no_padding": (
        "You left out the padding. First put a border of `padding` zeros around the image "
        "(on all four sides), then slide the kernel over the bigger image."),
    "stride_ignored": (
        "You moved the window one cell at a time and ignored the stride. Jump `stride` cells "
        "to the right (and `stride` rows down) between positions."),
    "padding_one_side": (
        "You added the padding on one side only. Put `padding` zeros on every side: "
        "top and bottom, left and right."),
    "same_odd_pixel_top_left": (
        "With 'same' padding, when the number of padding zeros is odd the extra row and "
        "column go at the bottom and right, not at the top and left."),
    "transposed": (
        "Your rows and columns are swapped (the result is transposed). The first index "
        "is the row (going down), the second the column (going right)."),
    "bias_forgotten": (
        "You forgot the bias. Add each filter's bias to every value of that filter's "
        "feature map."),
    "relu_forgotten": (
        "You forgot the ReLU. After computing the feature map, replace every negative "
        "value by 0 and keep the rest."),
    "channels_confused": (
        "The channels are in the wrong place. Here an image is (height, width, channels), "
        "filters are (kh, kw, in_channels, filters) and the result is "
        "(height, width, filters): channels last."),
    "off_by_one": (
        "Off by one: you forgot the +1 (or your loop stops one position early). The number "
        "of positions is floor((n - k + 2p) / s) + 1; the +1 counts the first position."),
    "not_floored": (
        "You did not round down. When the steps do not fit exactly, the last incomplete "
        "step is dropped: use floor division (//), and a window that does not fit is not used."),
    "padding_once": (
        "You counted the padding once. Padding goes on both sides, so it adds 2p: "
        "floor((n - k + 2p) / s) + 1."),
    "dilation_ignored": (
        "You ignored the dilation. A kernel of size k with dilation d spans "
        "d * (k - 1) + 1 cells, so use that span in place of k."),
    "overlapping_pool_windows": (
        "Your pooling windows overlap because you moved them one cell at a time. A pooling "
        "window moves by the stride (2 for 2x2 pooling), so the windows sit side by side."),
    "average_instead_of_max": (
        "You took the average of each window. Max pooling keeps the largest value of each "
        "window."),
    "max_instead_of_average": (
        "You took the largest value of each window. Average pooling takes the mean of the "
        "values in each window."),
    "channels_not_summed": (
        "You used only one channel. A filter for a colour image has one slice per channel: "
        "multiply every channel by its own slice and add all the products up, so each "
        "position gives one number."),
    "channels_averaged": (
        "You averaged over the channels. A filter adds the products of all its channels: "
        "add the channel maps up, do not divide by the number of channels."),
    "backward_dx_not_flipped": (
        "For dx you slid the kernel over the padded dout as it is. Each input pixel met the "
        "kernel weights in the opposite order, so turn the kernel by 180 degrees "
        "(w[::-1, ::-1]) before sliding it over dout padded with kh-1 and kw-1 zeros."),
    "backward_dw_flipped": (
        "Your dw is turned by 180 degrees. dw[a, c] adds dout[i, j] * x[i + a, j + c] over all "
        "positions: x filtered with dout as the kernel, without flipping anything."),
    "backward_db_not_summed": (
        "The bias is added at every position, so its gradient is the sum of all of dout: one "
        "number per filter, not an array like dout."),
}

#: What a verdict's ``label`` says: ``(kind, *values)``.
LABELS = {
    "row": "row %d",
    "position": "position %d",
    "name": "%s",
    "call": "%s(%s)",
}

#: Follow-through facts a check adds to a wrong answer's verdict: ``(key, *values)``.
NOTES = {
    "kernel_unturned": "This is the kernel as it was: turn it upside down and left to right.",
    "is_cross_correlation": "This is the cross-correlation: for the convolution, first turn the kernel a half "
                            "turn.",
    "integer_dtype": "Your result is an array of whole numbers (dtype %s): the sums were rounded or wrapped "
                     "around. Convert the image to floats first (np.asarray(image, dtype=float)) and start "
                     "from np.zeros(..., dtype=float).",
    "unsigned_dtype": "Your result has dtype %s, which cannot hold negative values; convert the image to floats "
                      "first.",
    "map_entry_of_centre": "That is map[%d, %d]: the map is smaller than the image, and entry [i, j] belongs to "
                           "the patch whose top-left pixel is image[i, j], so its centre is image[i + 1, j + 1].",
    "flipped_sobel": "Your value is what the flipped Sobel kernel gives.",
    "solve_for_p": "Hint: the map keeps the image's size when n - k + 2p + 1 = n; solve for p.",
    "check_crop": "Check the crop: 8 rows from row %d and 8 columns from column %d of astronaut.",
}

#: A submission's status in the teacher's report.
STATUS_WORDS = {"graded": "graded", "timeout": "ran out of time", "crashed": "crashed",
                "corrupt": "file could not be read", "missing": "nothing handed in", "error": "grading error"}


def verdict(v):
    """The English sentence(s) of a :class:`~autograder.records.Verdict` (label and notes aside)."""
    if v.kind == "number_right":
        return "Right."
    if v.kind == "map_right":
        return "Right: every entry within %s." % _tolerance(v.tolerance)
    if v.kind == "not_numbers":
        return "Expected an array of numbers of shape %s, but got %s." % (v.expected_shape, _given(v.given))
    if v.kind == "wrong_shape":
        text = "Expected an array of shape %s, but yours has shape %s." % (v.expected_shape, v.submitted_shape)
        if v.shape_only:
            return text + " That is the shape this mistake gives: " + _explain(v.matches[0])
        return text + _matches(v.matches, "Your values are")
    if v.kind == "wrong_entries":
        return ("Right shape %s, but %d of %d entries are wrong (tolerance: %s); the first wrong entry is at "
                "index %s." % (v.expected_shape, v.wrong, v.total, _tolerance(v.tolerance), v.first_wrong)
                + _matches(v.matches, "Your values are"))
    if v.kind == "not_a_number":
        return "Expected a number, but got %s." % _given(v.given)
    if v.kind == "not_finite":
        return "Expected a finite number, but got %r." % v.value
    if v.kind == "wrong_number":
        return "Not the expected number (yours is too %s)." % v.direction + _matches(v.matches, "Your number is")
    if v.kind == "not_a_list":
        got = PHRASES["list_not_numbers"] if v.submitted_shape is None else PHRASES["a_shape"] % (
            v.submitted_shape,)
        return PHRASES["list_expected"] % (v.total, got)
    raise ValueError("verdict: unknown kind %r" % v.kind)


def _tolerance(tolerance):
    rtol, atol = tolerance
    return "|yours - expected| <= %g + %g * |expected|" % (atol, rtol)


def _given(given):
    if given[0] == "unencodable":
        return "an object that is not plain data (%s)" % given[1]
    if given[0] == "none":
        return "None (did you forget to return the result?)"
    return "a %s" % given[1]


def _explain(key):
    return "%s (%s)" % (MISCONCEPTIONS[key], key)


def _matches(keys, subject):
    """The sentence naming the mistakes an answer equals (the first is the likely one)."""
    if not keys:
        return ""
    if len(keys) == 1:
        return " %s exactly what this mistake gives: " % subject + _explain(keys[0])
    return (" %s exactly what each of these mistakes gives; check which one you made: " % subject
            + " / ".join(_explain(k) for k in keys))

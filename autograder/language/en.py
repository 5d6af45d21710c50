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
    # whose numbers a by-hand assignment was checked with (autograder.pipeline.identity)
    "id_own": "Your answers were checked with the numbers of the id you typed, %s: your teacher's class list "
              "shows it is yours.",
    "id_classmate": "You typed MY_ID = \"%s\", but that is the id of another student in your class. Your answers "
                    "were checked with your own numbers (those of %s). If you typed it by mistake, tell your "
                    "teacher: they can see what your answers score with the other numbers.",
    "id_unknown": "You typed MY_ID = \"%s\", but your work is filed under %s, and your teacher's class list does "
                  "not show that the id you typed is yours. So your answers were checked with the numbers of the "
                  "id your work is filed under. If you worked with other numbers, tell your teacher.",
    "not_submitted": "%s.ipynb was not submitted.",
    "corrupt_notebook": "Your notebook %s.ipynb could not be read, so nothing in it was graded: open it in "
                        "Jupyter, save it and hand it in again (the reason, for your teacher: %s).",
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
    "no_value": "You have not answered %s yet: replace `raise NotImplementedError()` in its cell with your "
                "answer, and run the cell.",
    "below_raise": "Your answer %s is below `raise NotImplementedError()`, so it never ran and could not be "
                   "graded: delete that line and run the cell.",
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
    # ps2: what each hidden case is (Case.describe)
    "ps2_settings": ", stride %d, padding %d",
    "ps2_sizes_plain": "sizes without padding or stride",
    "ps2_sizes_padding": "sizes with padding",
    "ps2_sizes_stride_uneven": "sizes where the stride does not divide n - k + 2p",
    "ps2_sizes_padding_stride_uneven": "sizes with padding, where the stride does not divide n - k + 2p",
    "ps2_sizes_padding_stride": "sizes with padding and stride",
    "ps2_kernel_fits_exactly": "a kernel that exactly fits the padded input",
    "ps2_kernel_too_large": "a kernel larger than the input (should raise ValueError)",
    "ps2_kernel_too_large_padded": "a kernel larger than the padded input (should raise ValueError)",
    "ps2_random_signal": "a random signal of length %d and a random kernel of length %d",
    "ps2_delta_signal": "a delta kernel [0, 1, 0]: the answer is the signal without its first and last sample",
    "ps2_impulse": "a signal with a single 1 in the middle: the answer shows the kernel (reversed) surrounded by "
                   "zeros",
    "ps2_linear_signal": "a combination 2A - 3B of two random signals (linearity)",
    "ps2_random_image": "a random %s image, %s kernel%s",
    "ps2_delta_image": "a random 6x8 image and a 3x3 delta kernel (a single 1 in the centre), padding 1: the "
                       "answer is the image itself",
    "ps2_linear_image": "a combination 2A - B of two random 7x6 images, 3x3 kernel, stride 2, padding 1 (linearity)",
    "ps2_shifted": "a 10x11 picture moved %d down and %d right, 3x3 kernel: the feature map should move by as much "
                   "(shift equivariance)",
    "ps2_relu_random": "a random %s array with positive, negative and zero entries",
    "ps2_relu_positive": "a random positive 1x1 array: the answer is the input",
    "ps2_relu_negative": "a random 3x4 array of negative numbers: the answer is all zeros",
    "ps2_pool_defaults": "defaults",
    "ps2_pool_settings": "size %s, stride %s",
    "ps2_pool_random": "a random %s array, %s",
    "ps2_pool_negative": "a random 6x6 array of negative numbers, defaults",
    "ps2_layer_random": "a random %s image, %d random %s filters and a bias%s",
    "ps2_layer_delta": "a random 5x7x3 image, 3 delta filters that each copy one channel, zero bias, padding 1: "
                       "the answer is the image itself",
    "ps2_layer_linear": "a combination A - 2B of two random 6x6x2 images, 2 random 3x3x2 filters and a bias "
                        "(linearity: the bias is added once)",
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
    # ps3: what each hidden case is (Case.describe)
    "ps3_random_9x7": "a random 9x7 image and a random 3x3 kernel",
    "ps3_random_6x10": "a random 6x10 image and a 2x4 kernel",
    "ps3_delta": "a 5x5 kernel with a single 1 (the result must be a shifted crop of the image)",
    "ps3_kernel_as_large": "a kernel as large as the image (one position)",
    "ps3_one_row": "a one-row image and a 1x3 kernel",
    "ps3_uint8": "a 7x7 uint8 photograph (whole numbers 0-255) and a kernel with negative weights",
    "ps3_settings": "%s, stride=%d, padding=%d",
    "ps3_random_image_kernel": "a random %dx%d image and %dx%d kernel",
    "ps3_steps_uneven": "a random 10x7 image and 3x2 kernel (the steps do not fit exactly)",
    "ps3_fits_by_padding": "a 3x3 image and a 5x5 kernel that fits only thanks to the padding",
    "ps3_1x1": "a 6x6 image and a 1x1 kernel",
    "ps3_stride_0": "a 5x5 image, stride=0 (a stride must be at least 1)",
    "ps3_padding_negative": "a 5x5 image, padding=-1 (padding cannot be negative)",
    "ps3_rgb_random": "a random 7x8 RGB image and a 3x3x3 filter",
    "ps3_rgb_4_channels": "a random 5x9 image with 4 channels and a 3x2x4 filter",
    "ps3_rgb_1_channel": "a one-channel 6x6 image and a 2x2x1 filter",
    "ps3_rgb_only_blue": "a 3x3x3 filter whose red and green slices are zero (only blue counts)",
    "ps3_relu_pool_random": "a random %dx%d feature map, size=%d",
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


# --------------------------------------------------------------------------- the school voice
# For ps1 (ages 14-18): what is right first, one cause in plain words, a next step. No
# tolerances, no codes, places counted from 1. Worded by autograder.language.school_message.

#: Sentences of the school voice, by key (``step_<topic>``, ``redo_<topic>``... per topic).
SCHOOL = {
    "right": "Right. Well done!",
    "all_right": "all right. Well done!",
    "right_following": "Right for your own %s. Well done!",
    "own_maps": "vertical and horizontal maps above: your combined map is exactly their sum",
    "own_kernel": "turned kernel above: your convolution is exactly what it gives",
    "own_count": "number of feature maps above: your count of weights is exactly what it gives",
    "count_right": "%d of your %d numbers are right.",
    "count_right_one": "%d of your %d numbers is right.",
    "count_none": "None of your %d numbers is right yet.",
    "close": "You are close!",
    "first_wrong_1d": "The first wrong number is number %d.",
    "first_wrong_2d": "The first wrong number is in row %d, column %d.",
    "next_step": "Next step: %s",
    "same_mistake": "%s: the same mistake as in %s.",
    "shape_0d": "one number",
    "shape_1d": "%d numbers",
    "shape_2d": "%d rows of %d numbers",
    "shape_nd": "a block of %s numbers",
    "wrong_shape": "Numbers are the right kind of answer, but you gave %s where %s are asked.",
    "number_too_large": "You typed one number, as asked, but it is too large.",
    "number_too_small": "You typed one number, as asked, but it is too small.",
    "list_length": "You typed %s; there should be %d.",
    "ragged": "Your other rows all have %d numbers, but row %d has %d.",
    "ragged_step": "every row needs the same number of numbers: look in row %d for a number too many or "
                   "too few (or a missing comma).",
    "not_numbers": "This answer is a list of numbers, but you gave %s.",
    "not_a_number": "This answer is one number, but you gave %s.",
    "given_text": "the text \"%s\"",
    "given_none": "nothing (None)",
    "given_not_a_list": "something that is not a list",
    "given_type": "something else (a %s)",
    "text_is_a_place": "That looks like a row and a column: this answer asks for the count at that place.",
    "type_numbers": "type your numbers without quotes, as in the example in the answer cell.",
    "type_a_number": "type one number without quotes, for example 12.",
    "not_finite": "Your number is not a real number (it is nan or infinite).",
    # what to do when no known mistake explains the answer, per topic
    "step_signal": "put the filter on each position of the signal, multiply the 3 pairs and add them up.",
    "redo_signal": "redo number %d: put the filter on that position, multiply the 3 pairs and add them up.",
    "step_map": "put the filter on each position, multiply the 9 pairs that lie on top of each other and add "
                "them up.",
    "redo_map": "redo row %d: put the filter on each position of that row, multiply the 9 pairs that lie on "
                "top of each other and add them up.",
    "redo_sum": "redo row %d: add your vertical and your horizontal map, cell by cell.",
    "step_kernel": "turn the kernel upside down and then left to right: the top-left number goes to the "
                   "bottom-right corner.",
    "redo_kernel": "redo row %d: turn the kernel upside down and then left to right; the top-left number goes "
                   "to the bottom-right corner.",
    "redo_convolution": "redo row %d: turn the kernel a half turn first, then put it on each position, multiply "
                        "the 9 pairs and add them up.",
    "step_smiley": "put the filter's top-left cell on the printed row and column, and count the cells where the "
                   "filter and the image both have a 1.",
    "step_size": "count the steps the window can move, (n + 2p - k) / s rounded down, then add 1 for the first "
                 "position.",
    "step_dilated": "a filter of k cells with dilation d spans d(k - 1) + 1 cells; count the steps that span can "
                    "move, (n + 2p - span) / s rounded down, then add 1 for the first position.",
    "redo_max_pool": "redo row %d: take the largest number of each 2 x 2 block.",
    "redo_avg_pool": "redo row %d: add the 4 numbers of each 2 x 2 block and divide by 4.",
    "step_rgb": "multiply the 27 pairs (3 channels of 3 x 3), add them all up, then add the bias.",
    "step_maps": "each filter makes one feature map, so count the filters.",
    "step_weights": "one filter has k x k x C weights and 1 bias; multiply that by the number of filters.",
    # the size of an answer
    "shape_step_signal": "count the positions the filter fits on the signal: signal length - filter length + 1.",
    "shape_step_map": "count the positions the filter fits: image width - filter width + 1 across, and the same "
                      "going down.",
    "shape_step_convolution": "count the positions the kernel fits: image width - kernel width + 1 across, and "
                              "the same going down.",
    "shape_step_sum": "adding two maps cell by cell keeps their size.",
    "shape_step_kernel": "turning a kernel keeps its size.",
    "shape_step_max_pool": "each 2 x 2 block gives one number and the blocks sit side by side: half the rows "
                           "and half the columns.",
    "shape_step_avg_pool": "each 2 x 2 block gives one number and the blocks sit side by side: half the rows "
                           "and half the columns.",
    "list_step_size": "type one size for each row of the table.",
    "list_step_smiley": "type one count for each of the four positions.",
}

#: One known mistake in the school voice: ``(what is right, the cause, the next step)``;
#: ``"key/topic"`` is the version that fits that kind of answer.
SCHOOL_MISTAKES = {
    "flipped_kernel": ("You multiplied and added correctly,", "but you turned the filter around first.",
                       "lay the filter on the image just as it is, without turning it, and work it out again."),
    "transposed": ("All the right numbers are there,", "but your rows and columns are swapped.",
                   "write the map row by row: the first row is the top row, from left to right."),
    "transposed/smiley": ("You counted correctly,", "but with the row and the column swapped.",
                          "the first number of a position is the row (going down), the second the column "
                          "(going right)."),
    "transposed/kernel": ("All the numbers are there,", "but you mirrored the kernel along its diagonal: rows "
                          "became columns.", "turn it upside down and then left to right; together that is a "
                          "half turn."),
    "off_by_one": ("Your numbers are right as far as they go,", "but you stopped one position too early.",
                   "keep sliding until the filter reaches the last number: there are image size - filter size "
                   "+ 1 positions."),
    "off_by_one/signal": ("Your numbers are right as far as they go,", "but you stopped one position too early.",
                          "keep sliding until the filter reaches the last number: there are signal length - "
                          "filter length + 1 positions."),
    "off_by_one/size": ("You used the formula,", "but forgot the + 1 at the end.",
                        "count the steps the window can move, then add 1 for the first position."),
    "off_by_one/dilated": ("You used the formula,", "but forgot the + 1 at the end.",
                           "count the steps the window can move, then add 1 for the first position."),
    "off_by_one/max_pool": ("Your blocks are right as far as they go,", "but you stopped one block too early.",
                            "keep going until the last 2 x 2 block that fits."),
    "off_by_one/avg_pool": ("Your blocks are right as far as they go,", "but you stopped one block too early.",
                            "keep going until the last 2 x 2 block that fits."),
    "not_floored": ("You used the formula,", "but you did not round down.",
                    "when the division does not come out whole, drop the part after the decimal point, then add "
                    "1."),
    "not_floored/max_pool": ("Your blocks are right,", "but you also used a block that sticks out past the edge.",
                             "use only the 2 x 2 blocks that fit completely."),
    "not_floored/avg_pool": ("Your blocks are right,", "but you also used a block that sticks out past the edge.",
                             "use only the 2 x 2 blocks that fit completely."),
    "padding_once": ("You used the formula,", "but you counted the padding on one side only.",
                     "padding goes on both sides: add 2 x p to n."),
    "no_padding": ("You used the formula,", "but you left out the padding.",
                   "add 2 x p to n before you subtract k."),
    "stride_ignored": ("You used the formula,", "but you did not divide by the stride.",
                       "divide the steps by the stride s, round down, then add 1."),
    "dilation_ignored": ("You used the formula,", "but you used k where the dilated filter is wider.",
                         "a filter of k cells with dilation d spans d(k - 1) + 1 cells: use that instead of k."),
    "average_instead_of_max": ("You used the right 2 x 2 blocks,", "but you took their average.",
                               "max pooling keeps only the largest number of each block."),
    "max_instead_of_average": ("You used the right 2 x 2 blocks,", "but you took their largest number.",
                               "average pooling adds the 4 numbers of each block and divides by 4."),
    "overlapping_pool_windows": ("You took the right kind of value,", "but your blocks overlap: you moved one "
                                 "cell at a time.", "move the block 2 cells at a time, so the blocks sit side by "
                                 "side."),
    "bias_forgotten": ("Your sum of the products is right,", "but you forgot the bias.",
                       "add the bias to your sum."),
    "bias_forgotten/weights": ("You counted the weights of the filters correctly,",
                               "but each filter also has one bias number.", "add 1 for every filter."),
}

#: Follow-through facts of :data:`NOTES` in the school voice: ``(the cause, the next step)``.
SCHOOL_NOTES = {
    "kernel_unturned": ("This is the kernel as it was.", "turn it upside down and then left to right."),
    "is_cross_correlation": ("This is the cross-correlation: the kernel was not turned.",
                             "turn the kernel a half turn first, then slide it over the image as before."),
}


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


# -- the feedback page (autograder/publish/feedback_pages.py, autograder/pipeline/feedback.py) -------
PHRASES.update({
    "page_score": "Score: %s of %s",
    "page_contents": "Contents",
    "page_summary": "Summary",
    "page_total": "Your score: %s of %s points.",
    "page_top": "(top)",
    "page_your_answer": "Your answer",
    "page_your_task": "Your task",
    "page_check": "Check",
    "page_comments": "Comments:",
    "page_late_penalty": "Late penalty: -%s",
    "page_missing": "Your notebook was not in your submission, so every item scores 0.",
    "page_corrupt": "Your notebook could not be read, so every item scores 0.",
    "page_timeout": "Your notebook ran out of time while it was graded: the items it did not reach score 0.",
    "page_crashed": "Your notebook stopped (its kernel crashed) while it was graded: the items after that "
                    "score 0.",
    "page_error": "Your notebook could not be graded; your teacher will look at it.",
    "page_late": "Handed in %s late: %s off, per the course's policy.",
    "page_late_nothing_off": "Handed in %s late; the course's policy takes nothing off.",
    "page_late_share": "%s%% of the marks (%s points)",
    "page_late_unmeasured": "Marked late by the course's system: %s off, per the course's policy.",
    "duration_minutes": "%d minutes",
    "duration_minute": "1 minute",
    "duration_hours": "%d hours",
    "duration_hour": "1 hour",
    "duration_days": "%d days",
    "duration_day": "1 day",
    "not_written": "You have not written %s yet.",
    "not_written_above": "%s: not written yet (see above).",
    "calls_not_written": "%s calls %s, which you have not written yet (see above).",
})


# -- ps5 "Beyond the plain convolution" (autograder/judging/checks/ps5.py) ----------------------------
TITLES.update({
    "ps5.transposed_by_hand": "Transposed convolution by hand (answer_upsampled)",
    "ps5.round_trip": "There and back: convolution, then transposed convolution (answer_round_trip)",
    "ps5.separable_weights": "Weights: standard vs depthwise-separable (answer_standard_weights, "
                             "answer_separable_weights)",
    "ps5.separable_mults": "Multiplications: standard vs depthwise-separable (answer_standard_mults, "
                           "answer_separable_mults)",
    "ps5.dilated_size": "Output size with dilation (answer_dilated_size)",
    "ps5.dilated_map": "A dilated feature map by hand (answer_dilated_map)",
    "ps5.video": "A 3-D convolution on a video clip (answer_video_shape, answer_video_weights)",
    "ps5.receptive_field": "Receptive field of a stack of layers (answer_rf_plain, answer_rf_strided)",
    "ps5.conv_transpose2d": "conv_transpose2d(x, w, stride)",
    "ps5.depthwise_separable_conv2d": "depthwise_separable_conv2d(x, depthwise, pointwise)",
})
PHRASES.update({
    "ps5_random_transpose": "a random %s input, %s kernel, stride %d",
    "ps5_single_one_transpose": "a 3x3 input with a single 1, random 3x3 kernel, stride 2: the answer is the "
                                "kernel placed at twice the 1's position",
    "ps5_random_separable": "a random %s image, %s depthwise kernels and %s pointwise weights",
    "ps5_identity_separable": "a random 5x6x3 image, 3x3 depthwise kernels with a single 1 in the centre and "
                              "identity pointwise weights: the answer is the image without its border",
})
MISCONCEPTIONS.update({
    "transposed_is_inverse": (
        "You wrote the image back. A transposed convolution is not the inverse of a convolution: it "
        "restores the shape, and each value is a map value spread over its window, weighted by the kernel."),
    "transpose_stride_ignored": (
        "You placed the copies of the kernel one cell apart, as with stride 1. With stride s, input "
        "cell (i, j) puts its copy of the kernel at output cell (s*i, s*j)."),
    "transpose_overlap_overwritten": (
        "Where two copies of the kernel overlap you kept only the last one. A transposed convolution "
        "adds every copy into the output (out[...] += x[i, j] * w), so overlaps are sums."),
    "weight_count_bias_forgotten": (
        "You forgot the biases. Every filter has one bias besides its weights, so add one number "
        "per filter (per output channel of each step)."),
    "separable_counted_as_standard": (
        "You counted the depthwise-separable layer as a standard convolution. It is two cheap steps: "
        "one k x k filter per input channel, then 1 x 1 filters that mix the channels."),
    "pointwise_forgotten": (
        "You counted (or computed) only the depthwise step. A depthwise-separable convolution also "
        "has the pointwise 1 x 1 step that mixes the channels into the output channels."),
    "mults_one_position": (
        "You counted the multiplications of one output position only. The filters are applied at "
        "every position of the output, so multiply by its height times its width."),
    "dilation_as_stride": (
        "You used the dilation as a stride. Dilation spreads the kernel's own cells d apart (it spans "
        "d * (k - 1) + 1 cells) while the kernel still moves one cell at a time."),
    "time_axis_not_convolved": (
        "You kept the number of frames. A 3-D kernel also slides along time, so the frames follow "
        "the same formula as height and width: floor((T - kt + 2p) / s) + 1."),
    "output_channels_from_input": (
        "The last number is the number of input channels. A convolution gives one output map per "
        "filter, so the output has as many channels as there are filters."),
    "video_kernel_time_forgotten": (
        "You counted the weights of a 2-D kernel. A 3-D kernel has kt x kh x kw weights per input "
        "channel: multiply by its depth in time too."),
    "rf_plus_one_forgotten": (
        "You forgot the +1. One output cell of a single k x k layer sees k input cells, so the field "
        "starts at 1 and each layer adds (k - 1) times the jump so far."),
    "rf_multiplied": (
        "You multiplied the kernel sizes. The receptive field grows by adding: each 3 x 3 layer with "
        "stride 1 widens it by 2 cells, so L layers see 1 + 2L cells."),
    "rf_strides_ignored": (
        "You ignored the strides. After a layer with stride s, one step of the next layer is s input "
        "cells, so each later layer adds (k - 1) times the product of the earlier strides."),
    "rf_own_stride": (
        "You multiplied each layer's (k - 1) by its own stride as well. Only the strides of the "
        "layers before it count: a layer's own stride changes where the next layer looks."),
})


# -- ps1 Part B: stride-2 map, padded map, valid/same/full, photo filters, stacked layers (issue 12) --
TITLES.update({
    "ps1.stride_map": "A map with stride 2 (answer_stride)",
    "ps1.padded_map": "A map with padding 1 (answer_padded)",
    "ps1.padding_modes": "Valid, same and full (answer_modes)",
    "ps1.photo_filters": "Sharpen, blur and edge on your photo (answer_filters)",
    "ps1.receptive_field": "Stacked 3 x 3 layers: what one value sees (answer_receptive)",
})
MISCONCEPTIONS.update({
    "padding_modes_swapped": (
        "You gave the size of another padding name. 'valid' adds no zeros (n - k + 1), 'same' adds "
        "(k - 1) / 2 on each side and keeps n, 'full' adds k - 1 on each side (n + k - 1)."),
    "blur_not_divided": (
        "You added the 9 pixels but did not divide by 9. Each weight of the box blur is 1/9, so the "
        "result is the mean of the 9 pixels."),
    "centre_weight_forgotten": (
        "You left out the centre pixel. The filter's middle weight multiplies the pixel it is centred "
        "on; add that product too."),
    "centre_as_corner": (
        "You put the filter's top-left cell on the pixel. The pixel is the window's centre: the window "
        "reaches one pixel above, below, left and right of it."),
})
LABELS.update({
    "mode_valid": "valid", "mode_same": "same", "mode_full": "full",
    "filter_sharpen": "sharpen", "filter_blur": "blur", "filter_edge": "edge",
    "stack_plain": "every layer with stride 1", "stack_strided": "with the stride-2 layer",
})
SCHOOL.update({
    "step_stride_map": "put the filter on the top-left corner, then move it 2 cells right (and 2 rows down) "
                       "each time; at each place multiply the 9 pairs and add them up.",
    "redo_stride_map": "redo row %d: the filter jumps 2 cells at a time; multiply the 9 pairs at each place "
                       "and add them up.",
    "shape_step_stride_map": "with steps of 2, a 3 x 3 filter fits at (5 - 3) / 2 + 1 = 2 places across and "
                             "2 going down.",
    "step_padded_map": "draw a border of zeros around the image first (it becomes 5 x 5), then slide the "
                       "filter over it: multiply the 9 pairs and add them up.",
    "redo_padded_map": "redo row %d: with the border of zeros around the image, multiply the 9 pairs at each "
                       "place and add them up.",
    "shape_step_padded_map": "a border of one zero makes the 3 x 3 image 5 x 5, and a 3 x 3 filter fits there "
                             "at 3 x 3 places: the same size as the image.",
    "step_modes": "valid adds no zeros: n - k + 1; same keeps the size: n; full adds k - 1 zeros on each side: "
                  "n + k - 1.",
    "list_step_modes": "type three sizes, in the order valid, same, full.",
    "step_photo": "put the middle of the filter on the printed pixel, multiply the 9 pairs that lie on top of "
                  "each other and add them up.",
    "list_step_photo": "type three numbers, in the order sharpen, blur, edge.",
    "step_receptive": "start at 1 pixel; each 3 x 3 layer adds 2 steps, and after a stride-2 layer one step "
                      "is 2 pixels.",
    "list_step_receptive": "type two numbers: all layers with stride 1, then with the stride-2 layer.",
})
SCHOOL_MISTAKES.update({
    "stride_ignored/stride_map": ("You multiplied and added correctly,", "but you moved the filter 1 cell at a "
                                  "time.", "move it 2 cells right, and 2 rows down, between places."),
    "no_padding/padded_map": ("You multiplied and added correctly,", "but you left out the border of zeros.",
                              "put one zero all round the image first, so the map keeps the image's size."),
    "padding_one_side/padded_map": ("You multiplied and added correctly,", "but your zeros are only on one "
                                    "side.", "put one zero on every side: top, bottom, left and right."),
    "padding_modes_swapped/modes": ("That is one of the three sizes,", "but it belongs to another name.",
                                    "valid is the smallest (no zeros), same keeps n, full is the largest."),
    "off_by_one/modes": ("You used the formula,", "but forgot the + 1 at the end.",
                         "count the steps the filter can move, then add 1 for the first place."),
    "blur_not_divided/photo": ("You added the 9 pixels correctly,", "but the blur divides their sum by 9.",
                               "each weight of the blur is 1/9: divide your sum by 9."),
    "centre_weight_forgotten/photo": ("You used the neighbours correctly,", "but you left out the middle "
                                      "pixel.", "multiply the middle pixel by the middle weight and add it."),
    "centre_as_corner/photo": ("You multiplied and added correctly,", "but you put the filter's top-left cell "
                               "on the pixel.", "put the middle of the filter on the pixel."),
    "transposed/photo": ("You multiplied and added correctly,", "but on the pixel with the row and the column "
                         "swapped.", "the first number is the row (going down), the second the column."),
    "rf_multiplied/receptive": ("You used the 3 x 3 layers,", "but you multiplied where the field grows by "
                                "adding.", "start at 1 pixel and add 2 for each layer."),
    "rf_plus_one_forgotten/receptive": ("You added 2 for each layer,", "but forgot the 1 pixel you start from.",
                                        "start at 1 and add 2 for each 3 x 3 layer."),
    "rf_strides_ignored/receptive": ("You added the layers up,", "but after the stride-2 layer each step is 2 "
                                     "pixels.", "layers after the stride-2 layer add 4, not 2."),
    "rf_own_stride/receptive": ("You saw that the stride makes the field grow faster,", "but the stride-2 "
                                "layer itself still adds 2.", "only the layers after it add 4."),
})


# -- quiz: the item bank's questions (autograder/judging/checks/quiz.py; the items' own words are in
# -- autograder/kernel/items/*.toml) --------------------------------------------------------------------
SCHOOL.update({
    "quiz_title": "Question %d",
    "quiz_right": "Right: %s.",
    "quiz_chose": "Not yet: you chose %s (%s).",
    "quiz_typed": "Not yet: you typed %s.",
    "quiz_too_large": "Your number is too large.",
    "quiz_too_small": "Your number is too small.",
    "quiz_answer_choice": "The right answer is %s (%s).",
    "quiz_answer_number": "The right answer is %s.",
    "quiz_no_dict": "answers is not a dict of your answers yet.",
    "quiz_no_dict_step": 'write answers = {"q1": "b", "q2": 7, ...} with one entry per question.',
    "quiz_missing": "There is no answer for %s in answers yet.",
    "quiz_missing_step": 'add "%s": your answer to the dict answers.',
    "quiz_not_a_letter": "%s is not one of the letters %s.",
    "quiz_letter_step": 'type the letter of your choice between quotes, for example "%s": "%s".',
    "quiz_not_a_number": "%s is not a number.",
    "quiz_number_step": 'type just the number, for example "%s": 12.',
})


# -- a submission the grader could not grade at all (autograder/pipeline/grade.py failed_result) -------
PHRASES.update({
    "grading_failed": "Your submission could not be graded automatically, so every item shows 0 points for now; "
                      "your teacher will look at it.",
})

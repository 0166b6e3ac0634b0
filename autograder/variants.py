"""Other ways to write each graded function: valid alternatives and common mistakes.

Each variant is the full source of the function, exactly as a student might
type it into the graded cell. They serve three purposes, from this one home:

* ``python -m autograder values`` runs the *diagnosable* mistakes on the
  public inputs and stores their results, so the public checks in
  ``nst_utils.checks`` can recognise them and say what went wrong;
* the sample bank builds submissions from them, and the tests assert that
  valid alternatives earn full marks and mistakes lose that exercise's points;
* the tests of the public checks assert that each mistake gets its hint.

The correct solutions themselves live only in the source notebooks (see
``autograder.grading.reference``).
"""

from __future__ import annotations

from dataclasses import dataclass
from textwrap import dedent


@dataclass(frozen=True)
class Variant:
    exercise: str  # the graded function's name
    key: str  # short identifier; for a diagnosable mistake, a key of nst_utils.checks.HINTS
    source: str  # the full `def` of the function
    valid: bool  # True: must earn full marks; False: must lose the exercise's points
    diagnosable: bool = False  # True: the public check names it (HINTS[...][key])
    raises: bool = False  # True: it fails with an error, so it has no value to store


def _v(exercise, key, source, *, valid, diagnosable=False, raises=False):
    return Variant(exercise, key, dedent(source).strip() + "\n", valid, diagnosable, raises)


CONTENT = "compute_content_cost"
GRAM = "gram_matrix"
LAYER = "compute_layer_style_cost"
STYLE = "compute_style_cost"
TOTAL = "total_cost"
STEP = "train_step"

#: Where each exercise's public check stores its values in public_checks.json.
CHECK_KEYS = {
    CONTENT: "content_cost",
    GRAM: "gram_matrix",
    LAYER: "layer_style_cost",
    STYLE: "style_cost",
    TOTAL: "total_cost",
    STEP: "train_step",
}

VARIANTS: tuple[Variant, ...] = (
    # ------------------------------------------------------------------ content
    _v(CONTENT, "unrolled_transpose", """
        def compute_content_cost(a_C, a_G):
            m, n_H, n_W, n_C = a_G.get_shape().as_list()
            a_C_unrolled = tf.reshape(tf.transpose(a_C, perm=[0, 3, 1, 2]), [m, n_C, n_H * n_W])
            a_G_unrolled = tf.reshape(tf.transpose(a_G, perm=[0, 3, 1, 2]), [m, n_C, n_H * n_W])
            return tf.reduce_sum(tf.square(a_C_unrolled - a_G_unrolled)) / (4 * n_H * n_W * n_C)
    """, valid=True),
    _v(CONTENT, "reduce_mean_over_4", """
        def compute_content_cost(a_C, a_G):
            return tf.reduce_mean(tf.square(tf.subtract(a_C, a_G))) / 4.0
    """, valid=True),
    _v(CONTENT, "shape_from_tf", """
        def compute_content_cost(a_C, a_G):
            shape = tf.shape(a_G)
            count = tf.cast(4 * shape[1] * shape[2] * shape[3], a_G.dtype)
            return tf.reduce_sum((a_C - a_G) ** 2) / count
    """, valid=True),
    _v(CONTENT, "float32_cast", """
        def compute_content_cost(a_C, a_G):
            _, n_H, n_W, n_C = a_G.get_shape().as_list()
            total = tf.reduce_sum(tf.square(a_G - a_C))
            return total / tf.cast(4 * n_H * n_W * n_C, tf.float32)
    """, valid=True),
    _v(CONTENT, "precedence", """
        def compute_content_cost(a_C, a_G):
            _, n_H, n_W, n_C = a_G.shape
            return tf.reduce_sum(tf.square(a_C - a_G)) / 4 * n_H * n_W * n_C
    """, valid=False, diagnosable=True),
    _v(CONTENT, "detached", """
        def compute_content_cost(a_C, a_G):
            _, n_H, n_W, n_C = a_G.shape
            cost = np.sum(np.square(a_C.numpy() - a_G.numpy())) / (4 * n_H * n_W * n_C)
            return tf.constant(cost, dtype=tf.float32)
    """, valid=False),
    _v(CONTENT, "no_factor_4", """
        def compute_content_cost(a_C, a_G):
            return tf.reduce_mean(tf.square(a_C - a_G))
    """, valid=False, diagnosable=True),
    _v(CONTENT, "no_normalisation", """
        def compute_content_cost(a_C, a_G):
            return tf.reduce_sum(tf.square(a_C - a_G))
    """, valid=False, diagnosable=True),
    _v(CONTENT, "no_square", """
        def compute_content_cost(a_C, a_G):
            _, n_H, n_W, n_C = a_G.shape
            return tf.reduce_sum(a_C - a_G) / (4 * n_H * n_W * n_C)
    """, valid=False, diagnosable=True),
    _v(CONTENT, "abs_instead_of_square", """
        def compute_content_cost(a_C, a_G):
            _, n_H, n_W, n_C = a_G.shape
            return tf.reduce_sum(tf.abs(a_C - a_G)) / (4 * n_H * n_W * n_C)
    """, valid=False, diagnosable=True),
    _v(CONTENT, "norm_squared", """
        def compute_content_cost(a_C, a_G):
            _, n_H, n_W, n_C = a_G.shape
            return tf.reduce_sum(tf.square(a_C - a_G)) / (4 * n_H * n_W * n_C) ** 2
    """, valid=False, diagnosable=True),
    _v(CONTENT, "sqrt_of_sum", """
        def compute_content_cost(a_C, a_G):
            _, n_H, n_W, n_C = a_G.shape
            return tf.sqrt(tf.reduce_sum(tf.square(a_C - a_G))) / (4 * n_H * n_W * n_C)
    """, valid=False, diagnosable=True),
    _v(CONTENT, "returns_numpy", """
        def compute_content_cost(a_C, a_G):
            _, n_H, n_W, n_C = a_G.shape
            return (tf.reduce_sum(tf.square(a_C - a_G)) / (4 * n_H * n_W * n_C)).numpy()
    """, valid=False),
    # --------------------------------------------------------------------- gram
    _v(GRAM, "transpose_b", """
        def gram_matrix(A):
            return tf.matmul(A, A, transpose_b=True)
    """, valid=True),
    _v(GRAM, "einsum", """
        def gram_matrix(A):
            return tf.einsum("ik,jk->ij", A, A)
    """, valid=True),
    _v(GRAM, "matmul_operator", """
        def gram_matrix(A):
            return A @ tf.transpose(A)
    """, valid=True),
    _v(GRAM, "tensordot", """
        def gram_matrix(A):
            return tf.tensordot(A, A, axes=[[1], [1]])
    """, valid=True),
    _v(GRAM, "AtA", """
        def gram_matrix(A):
            return tf.matmul(tf.transpose(A), A)
    """, valid=False),
    _v(GRAM, "elementwise", """
        def gram_matrix(A):
            return A * A
    """, valid=False),
    _v(GRAM, "normalised_by_size", """
        def gram_matrix(A):
            n_C, area = A.shape
            return tf.matmul(A, tf.transpose(A)) / (n_C * area)
    """, valid=False, diagnosable=True),
    _v(GRAM, "squared_entries", """
        def gram_matrix(A):
            return tf.square(tf.matmul(A, tf.transpose(A)))
    """, valid=False, diagnosable=True),
    _v(GRAM, "returns_numpy", """
        def gram_matrix(A):
            return np.dot(A, np.transpose(A))
    """, valid=False),
    # --------------------------------------------------------------- layer style
    _v(LAYER, "transpose_then_reshape", """
        def compute_layer_style_cost(a_S, a_G):
            m, n_H, n_W, n_C = a_G.get_shape().as_list()
            a_S = tf.reshape(tf.transpose(a_S, perm=[0, 3, 1, 2]), [n_C, n_H * n_W])
            a_G = tf.reshape(tf.transpose(a_G, perm=[0, 3, 1, 2]), [n_C, n_H * n_W])
            GS = gram_matrix(a_S)
            GG = gram_matrix(a_G)
            return tf.reduce_sum(tf.square(GS - GG)) / (4 * n_C**2 * (n_H * n_W) ** 2)
    """, valid=True),
    _v(LAYER, "reduce_mean", """
        def compute_layer_style_cost(a_S, a_G):
            _, n_H, n_W, n_C = a_G.shape
            GS = gram_matrix(tf.transpose(tf.reshape(a_S, [-1, n_C])))
            GG = gram_matrix(tf.transpose(tf.reshape(a_G, [-1, n_C])))
            return tf.reduce_mean(tf.square(GS - GG)) / (4.0 * (n_H * n_W) ** 2)
    """, valid=True),
    _v(LAYER, "float_factor", """
        def compute_layer_style_cost(a_S, a_G):
            _, n_H, n_W, n_C = a_G.shape
            unroll = lambda a: tf.transpose(tf.reshape(a, [n_H * n_W, n_C]))
            factor = 1.0 / (4.0 * n_C * n_C * float(n_H * n_W) ** 2)
            return factor * tf.reduce_sum(tf.pow(gram_matrix(unroll(a_S)) - gram_matrix(unroll(a_G)), 2))
    """, valid=True),
    _v(LAYER, "float32_cast", """
        def compute_layer_style_cost(a_S, a_G):
            _, n_H, n_W, n_C = a_G.get_shape().as_list()
            channels_first = lambda a: tf.reshape(tf.transpose(a, [3, 0, 1, 2]), [n_C, -1])
            gap = gram_matrix(channels_first(a_S)) - gram_matrix(channels_first(a_G))
            return tf.reduce_sum(gap * gap) / tf.cast(4 * n_C**2 * (n_H * n_W) ** 2, tf.float32)
    """, valid=True),
    _v(LAYER, "precedence", """
        def compute_layer_style_cost(a_S, a_G):
            _, n_H, n_W, n_C = a_G.shape
            GS = gram_matrix(tf.transpose(tf.reshape(a_S, [n_H * n_W, n_C])))
            GG = gram_matrix(tf.transpose(tf.reshape(a_G, [n_H * n_W, n_C])))
            return tf.reduce_sum(tf.square(GS - GG)) / 4 * n_C**2 * (n_H * n_W) ** 2
    """, valid=False, diagnosable=True),
    _v(LAYER, "whole_factor_squared", """
        def compute_layer_style_cost(a_S, a_G):
            _, n_H, n_W, n_C = a_G.shape
            GS = gram_matrix(tf.transpose(tf.reshape(a_S, [n_H * n_W, n_C])))
            GG = gram_matrix(tf.transpose(tf.reshape(a_G, [n_H * n_W, n_C])))
            return tf.reduce_sum(tf.square(GS - GG)) / (4 * n_C * n_H * n_W) ** 2
    """, valid=False, diagnosable=True),
    _v(LAYER, "no_transpose", """
        def compute_layer_style_cost(a_S, a_G):
            _, n_H, n_W, n_C = a_G.shape
            GS = gram_matrix(tf.reshape(a_S, [n_C, n_H * n_W]))
            GG = gram_matrix(tf.reshape(a_G, [n_C, n_H * n_W]))
            return tf.reduce_sum(tf.square(GS - GG)) / (4 * n_C**2 * (n_H * n_W) ** 2)
    """, valid=False, diagnosable=True),
    _v(LAYER, "no_factor_4", """
        def compute_layer_style_cost(a_S, a_G):
            _, n_H, n_W, n_C = a_G.shape
            GS = gram_matrix(tf.transpose(tf.reshape(a_S, [n_H * n_W, n_C])))
            GG = gram_matrix(tf.transpose(tf.reshape(a_G, [n_H * n_W, n_C])))
            return tf.reduce_sum(tf.square(GS - GG)) / (n_C**2 * (n_H * n_W) ** 2)
    """, valid=False, diagnosable=True),
    _v(LAYER, "n_C_not_squared", """
        def compute_layer_style_cost(a_S, a_G):
            _, n_H, n_W, n_C = a_G.shape
            GS = gram_matrix(tf.transpose(tf.reshape(a_S, [n_H * n_W, n_C])))
            GG = gram_matrix(tf.transpose(tf.reshape(a_G, [n_H * n_W, n_C])))
            return tf.reduce_sum(tf.square(GS - GG)) / (4 * n_C * (n_H * n_W) ** 2)
    """, valid=False, diagnosable=True),
    _v(LAYER, "area_not_squared", """
        def compute_layer_style_cost(a_S, a_G):
            _, n_H, n_W, n_C = a_G.shape
            GS = gram_matrix(tf.transpose(tf.reshape(a_S, [n_H * n_W, n_C])))
            GG = gram_matrix(tf.transpose(tf.reshape(a_G, [n_H * n_W, n_C])))
            return tf.reduce_sum(tf.square(GS - GG)) / (4 * n_C**2 * n_H * n_W)
    """, valid=False, diagnosable=True),
    _v(LAYER, "no_square", """
        def compute_layer_style_cost(a_S, a_G):
            _, n_H, n_W, n_C = a_G.shape
            GS = gram_matrix(tf.transpose(tf.reshape(a_S, [n_H * n_W, n_C])))
            GG = gram_matrix(tf.transpose(tf.reshape(a_G, [n_H * n_W, n_C])))
            return tf.reduce_sum(GS - GG) / (4 * n_C**2 * (n_H * n_W) ** 2)
    """, valid=False, diagnosable=True),
    _v(LAYER, "no_normalisation", """
        def compute_layer_style_cost(a_S, a_G):
            _, n_H, n_W, n_C = a_G.shape
            GS = gram_matrix(tf.transpose(tf.reshape(a_S, [n_H * n_W, n_C])))
            GG = gram_matrix(tf.transpose(tf.reshape(a_G, [n_H * n_W, n_C])))
            return tf.reduce_sum(tf.square(GS - GG))
    """, valid=False, diagnosable=True),
    _v(LAYER, "pixel_gram", """
        def compute_layer_style_cost(a_S, a_G):
            _, n_H, n_W, n_C = a_G.shape
            GS = gram_matrix(tf.reshape(a_S, [n_H * n_W, n_C]))
            GG = gram_matrix(tf.reshape(a_G, [n_H * n_W, n_C]))
            return tf.reduce_sum(tf.square(GS - GG)) / (4 * n_C**2 * (n_H * n_W) ** 2)
    """, valid=False, diagnosable=True),
    # ---------------------------------------------------------------- style cost
    _v(STYLE, "loop", """
        def compute_style_cost(style_features, generated_features, style_layers=STYLE_LAYERS):
            J_style = 0.0
            for layer, weight in style_layers:
                a_S, a_G = style_features[layer], generated_features[layer]
                J_style += weight * compute_layer_style_cost(a_S, a_G)
            return J_style
    """, valid=True),
    _v(STYLE, "sum_of_generator", """
        def compute_style_cost(style_features, generated_features, style_layers=STYLE_LAYERS):
            return sum(w * compute_layer_style_cost(style_features[n], generated_features[n])
                       for n, w in style_layers)
    """, valid=True),
    _v(STYLE, "generated_first", """
        def compute_style_cost(style_features, generated_features, style_layers=STYLE_LAYERS):
            costs = [compute_layer_style_cost(generated_features[n], style_features[n])
                     for n, _ in style_layers]
            weights = tf.constant([w for _, w in style_layers], tf.float32)
            return tf.reduce_sum(weights * tf.stack(costs))
    """, valid=True),
    _v(STYLE, "unweighted", """
        def compute_style_cost(style_features, generated_features, style_layers=STYLE_LAYERS):
            return tf.add_n([compute_layer_style_cost(style_features[n], generated_features[n])
                             for n, _ in style_layers])
    """, valid=False, diagnosable=True),
    _v(STYLE, "averaged", """
        def compute_style_cost(style_features, generated_features, style_layers=STYLE_LAYERS):
            terms = [w * compute_layer_style_cost(style_features[n], generated_features[n])
                     for n, w in style_layers]
            return tf.add_n(terms) / len(terms)
    """, valid=False, diagnosable=True),
    _v(STYLE, "weight_squared", """
        def compute_style_cost(style_features, generated_features, style_layers=STYLE_LAYERS):
            return tf.add_n([w * w * compute_layer_style_cost(style_features[n], generated_features[n])
                             for n, w in style_layers])
    """, valid=False, diagnosable=True),
    _v(STYLE, "first_layer_only", """
        def compute_style_cost(style_features, generated_features, style_layers=STYLE_LAYERS):
            J_style = 0.0
            for name, weight in style_layers:
                J_style += weight * compute_layer_style_cost(style_features[name], generated_features[name])
                return J_style
    """, valid=False, diagnosable=True),
    _v(STYLE, "last_layer_only", """
        def compute_style_cost(style_features, generated_features, style_layers=STYLE_LAYERS):
            for name, weight in style_layers:
                J_style = weight * compute_layer_style_cost(style_features[name], generated_features[name])
            return J_style
    """, valid=False, diagnosable=True),
    _v(STYLE, "same_activations", """
        def compute_style_cost(style_features, generated_features, style_layers=STYLE_LAYERS):
            return tf.add_n([w * compute_layer_style_cost(generated_features[n], generated_features[n])
                             for n, w in style_layers])
    """, valid=False, diagnosable=True),
    _v(STYLE, "course_layers", """
        def compute_style_cost(style_features, generated_features, style_layers=STYLE_LAYERS):
            return tf.add_n([w * compute_layer_style_cost(style_features[n], generated_features[n])
                             for n, w in STYLE_LAYERS])
    """, valid=False, diagnosable=True, raises=True),
    _v(STYLE, "python_float", """
        def compute_style_cost(style_features, generated_features, style_layers=STYLE_LAYERS):
            return float(sum(w * compute_layer_style_cost(style_features[n], generated_features[n])
                             for n, w in style_layers))
    """, valid=False),
    # -------------------------------------------------------------------- total
    _v(TOTAL, "explicit_add", """
        def total_cost(J_content, J_style, alpha=10, beta=40):
            return tf.add(tf.multiply(alpha, J_content), tf.multiply(beta, J_style))
    """, valid=True),
    _v(TOTAL, "reversed_terms", """
        def total_cost(J_content, J_style, alpha=10, beta=40):
            J = beta * J_style
            J += alpha * J_content
            return J
    """, valid=True),
    _v(TOTAL, "keyword_order", """
        def total_cost(J_content, J_style, alpha=10, beta=40):
            return J_content * alpha + J_style * beta
    """, valid=True),
    _v(TOTAL, "swapped", """
        def total_cost(J_content, J_style, alpha=10, beta=40):
            return beta * J_content + alpha * J_style
    """, valid=False, diagnosable=True),
    _v(TOTAL, "unweighted", """
        def total_cost(J_content, J_style, alpha=10, beta=40):
            return J_content + J_style
    """, valid=False, diagnosable=True),
    _v(TOTAL, "content_only", """
        def total_cost(J_content, J_style, alpha=10, beta=40):
            return alpha * J_content
    """, valid=False, diagnosable=True),
    _v(TOTAL, "style_only", """
        def total_cost(J_content, J_style, alpha=10, beta=40):
            return beta * J_style
    """, valid=False, diagnosable=True),
    _v(TOTAL, "hard_coded", """
        def total_cost(J_content, J_style, alpha=10, beta=40):
            return 10 * J_content + 40 * J_style
    """, valid=False),
    # --------------------------------------------------------------- train step
    _v(STEP, "gradient_list_zip", """
        def train_step(generated_image, optimizer, compute_cost):
            with tf.GradientTape() as tape:
                cost = compute_cost(generated_image)
            grads = tape.gradient(cost, [generated_image])
            optimizer.apply_gradients(zip(grads, [generated_image]))
            generated_image.assign(tf.clip_by_value(generated_image, 0.0, 1.0))
            return cost
    """, valid=True),
    _v(STEP, "watch_and_min_max", """
        def train_step(generated_image, optimizer, compute_cost):
            with tf.GradientTape(persistent=True) as tape:
                tape.watch(generated_image)
                J = compute_cost(generated_image)
            optimizer.apply_gradients([(tape.gradient(J, generated_image), generated_image)])
            generated_image.assign(tf.minimum(tf.maximum(generated_image, 0.0), 1.0))
            return tf.identity(J)
    """, valid=True),
    _v(STEP, "clip_keywords", """
        def train_step(generated_image, optimizer, compute_cost):
            with tf.GradientTape() as tape:
                J = compute_cost(generated_image)
            dJ_dG = tape.gradient(J, generated_image)
            optimizer.apply_gradients([(dJ_dG, generated_image)])
            clipped = tf.clip_by_value(generated_image, clip_value_min=0.0, clip_value_max=1.0)
            generated_image.assign(clipped)
            return J
    """, valid=True),
    _v(STEP, "ascent", """
        def train_step(generated_image, optimizer, compute_cost):
            with tf.GradientTape() as tape:
                J = compute_cost(generated_image)
            grad = tape.gradient(J, generated_image)
            optimizer.apply_gradients([(-grad, generated_image)])
            generated_image.assign(tf.clip_by_value(generated_image, 0.0, 1.0))
            return J
    """, valid=False, diagnosable=True),
    _v(STEP, "wrong_gradient", """
        def train_step(generated_image, optimizer, compute_cost):
            with tf.GradientTape() as tape:
                J = compute_cost(generated_image)
                total = tf.reduce_sum(generated_image)
            grad = tape.gradient(total, generated_image)
            optimizer.apply_gradients([(grad, generated_image)])
            generated_image.assign(tf.clip_by_value(generated_image, 0.0, 1.0))
            return J
    """, valid=False, diagnosable=True),
    _v(STEP, "no_gradient", """
        def train_step(generated_image, optimizer, compute_cost):
            J = compute_cost(generated_image)
            with tf.GradientTape() as tape:
                grad = tape.gradient(J, generated_image)
            optimizer.apply_gradients([(grad, generated_image)])
            generated_image.assign(tf.clip_by_value(generated_image, 0.0, 1.0))
            return J
    """, valid=False, diagnosable=True, raises=True),
    _v(STEP, "no_clip", """
        def train_step(generated_image, optimizer, compute_cost):
            with tf.GradientTape() as tape:
                J = compute_cost(generated_image)
            grad = tape.gradient(J, generated_image)
            optimizer.apply_gradients([(grad, generated_image)])
            return J
    """, valid=False, diagnosable=True),
    _v(STEP, "clip_rebinds_name", """
        def train_step(generated_image, optimizer, compute_cost):
            with tf.GradientTape() as tape:
                J = compute_cost(generated_image)
            grad = tape.gradient(J, generated_image)
            optimizer.apply_gradients([(grad, generated_image)])
            generated_image = tf.clip_by_value(generated_image, 0.0, 1.0)
            return J
    """, valid=False),
    _v(STEP, "not_in_place", """
        def train_step(generated_image, optimizer, compute_cost):
            with tf.GradientTape() as tape:
                J = compute_cost(generated_image)
            grad = tape.gradient(J, generated_image)
            generated_image = tf.clip_by_value(generated_image - 0.1 * grad, 0.0, 1.0)
            return J
    """, valid=False, diagnosable=True),
    _v(STEP, "fresh_optimizer", """
        def train_step(generated_image, optimizer, compute_cost):
            optimizer = tf.keras.optimizers.Adam(learning_rate=float(optimizer.learning_rate))
            with tf.GradientTape() as tape:
                J = compute_cost(generated_image)
            grad = tape.gradient(J, generated_image)
            optimizer.apply_gradients([(grad, generated_image)])
            generated_image.assign(tf.clip_by_value(generated_image, 0.0, 1.0))
            return J
    """, valid=False, diagnosable=True),
    _v(STEP, "compiled", """
        @tf.function
        def train_step(generated_image, optimizer, compute_cost):
            with tf.GradientTape() as tape:
                J = compute_cost(generated_image)
            grad = tape.gradient(J, generated_image)
            optimizer.apply_gradients([(grad, generated_image)])
            generated_image.assign(tf.clip_by_value(generated_image, 0.0, 1.0))
            return J
    """, valid=False, diagnosable=True, raises=True),
    _v(STEP, "cost_after_update", """
        def train_step(generated_image, optimizer, compute_cost):
            with tf.GradientTape() as tape:
                J = compute_cost(generated_image)
            grad = tape.gradient(J, generated_image)
            optimizer.apply_gradients([(grad, generated_image)])
            generated_image.assign(tf.clip_by_value(generated_image, 0.0, 1.0))
            return compute_cost(generated_image)
    """, valid=False, diagnosable=True),
    _v(STEP, "returns_image", """
        def train_step(generated_image, optimizer, compute_cost):
            with tf.GradientTape() as tape:
                J = compute_cost(generated_image)
            grad = tape.gradient(J, generated_image)
            optimizer.apply_gradients([(grad, generated_image)])
            generated_image.assign(tf.clip_by_value(generated_image, 0.0, 1.0))
            return generated_image
    """, valid=False),
)


def variants(exercise: str | None = None, *, valid: bool | None = None) -> list[Variant]:
    """The variants of one exercise (or all), optionally only the valid or invalid ones."""
    return [
        v
        for v in VARIANTS
        if (exercise is None or v.exercise == exercise) and (valid is None or v.valid == valid)
    ]


def build(variant: Variant, namespace: dict | None = None):
    """Execute a variant's source and return the function it defines."""
    import numpy as np

    from nst_utils._tf import tf

    from nst_utils import config

    # what a notebook defines before its graded cells (03: the course's style layers)
    scope = {"tf": tf, "np": np, "config": config, "STYLE_LAYERS": config.STYLE_LAYERS}
    scope.update(namespace or {})
    exec(compile(variant.source, f"<variant {variant.exercise}:{variant.key}>", "exec"), scope)
    return scope[variant.exercise]

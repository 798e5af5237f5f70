"""Exercises of notebook 06, "Image transforms".

The checkers seed torch themselves to test randomness and reproducibility, and put the learner's
random state back afterwards, so checking an answer never changes what the notebook draws next.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import numpy as np
import torch
from torchvision.transforms import v2

from .. import data
from ..transforms import load_photo
from . import checker, correct, not_attempted, solution, wrong

#: The mean and standard deviation of the course's 12 photos in grayscale at 64×64, in [0, 1]
#: (rounded): ``Normalize`` with these gives a collection of photos mean ≈ 0 and std ≈ 1.
GRAY_MEAN, GRAY_STD = 0.45, 0.19
SIDE = 64  # the preprocessed size
CROP = 48  # the augmented size
N_SEEDS = 40  # seeded calls used to test randomness


@contextmanager
def _own_random_state():
    """Let a checker seed torch without changing the learner's random numbers."""

    state = torch.get_rng_state()
    try:
        yield
    finally:
        torch.set_rng_state(state)


def _seeded(transform, image, seed: int):

    torch.manual_seed(seed)
    return transform(image)


def _tensor_problem(result, what: str, hint_end: str):
    """A ✗ when ``result`` is not a float32 tensor, else None."""

    if result is None:
        return wrong(f"{what} returned None", "a Compose returns what its last step returns; "
                     "make sure every step returns the image.")
    if not isinstance(result, torch.Tensor):
        return wrong(f"{what} returned a {type(result).__name__}, not a torch tensor",
                     f"convert with v2.ToImage() (HWC array → CHW tensor){hint_end}.")
    if result.dtype == torch.uint8:
        return wrong(f"{what} returned a {result.dtype} tensor",
                     "add v2.ToDtype(torch.float32, scale=True): it turns 0…255 into 0…1.")
    if result.dtype != torch.float32:
        return wrong(f"{what} returned a {result.dtype} tensor", "networks take torch.float32: "
                     "v2.ToDtype(torch.float32, scale=True).")
    return None


# ----------------------------------------------------------------------------------------------
# Exercise 1: preprocess any photo for a network that takes normalised 1×64×64 grayscale images


@solution("gray_preprocess")
def solution_preprocess():
    import torch
    from torchvision.transforms import v2

    # The order: geometry and colour work on the small uint8 tensor; Normalize needs floats, so
    # ToDtype comes before it. For a 300×451 colour photo: (300, 451, 3) → (3, 300, 451) →
    # (1, 300, 451) → shorter side 300 → 64, the other 451 · 64 / 300 ≈ 96: (1, 64, 96) →
    # central 64×64: (1, 64, 64) → floats in [0, 1] → (x − 0.45) / 0.19.
    return v2.Compose([
        v2.ToImage(),  # (H, W, 3) or (H, W) uint8 array → (C, H, W) uint8 tensor
        v2.Grayscale(),  # 3 channels → 1 (a gray photo stays as it is)
        v2.Resize(SIDE),  # the shorter side becomes 64, the aspect ratio is kept
        v2.CenterCrop(SIDE),  # cut out the central 64×64
        v2.ToDtype(torch.float32, scale=True),  # 0…255 → 0.0…1.0
        v2.Normalize(mean=[GRAY_MEAN], std=[GRAY_STD]),  # (x − mean) / std
    ])


def preprocess_photos() -> dict[str, np.ndarray]:
    """The photos check_preprocess tries: all course photos at full size, a portrait and a tiny one."""
    photos = {name: load_photo(name) for name in data.IMAGES}
    portrait = load_photo("rocket", 80).transpose(1, 0, 2)  # columns become rows: taller than wide
    photos["rocket, turned into a portrait"] = np.ascontiguousarray(portrait)
    photos["astronaut at 40×40 (must grow)"] = load_photo("astronaut", 40)
    return photos


def _unnormalised(photo):
    """The reference result before Normalize: grayscale 64×64 in [0, 1]."""

    steps = solution_preprocess().transforms
    return v2.Compose(steps[:-1])(photo)


@checker("set my_preprocess to a v2.Compose([...]) of transforms",
         solution='gray_preprocess', title='Exercise 1 · Preprocess any photo')
def check_preprocess(my_preprocess):
    """Run on colour and gray photos of many sizes: a deterministic (1, 64, 64) float32 tensor that
    matches the reference within a tolerance (other orders of the same steps pass)."""

    if not callable(my_preprocess):
        return wrong(f"my_preprocess is a {type(my_preprocess).__name__}",
                     "make it a transform: my_preprocess = v2.Compose([step, step, ...]).")
    reference = solution_preprocess()
    outputs = []
    with _own_random_state():
        for name, photo in preprocess_photos().items():
            kept = photo.copy()
            what = f"my_preprocess(photo '{name}' of shape {photo.shape}, uint8)"
            try:
                result = _seeded(my_preprocess, photo, 0)
            except Exception as error:  # noqa: BLE001 - the learner's error becomes feedback
                return wrong(f"{what} raised {type(error).__name__}: {error}",
                             "the pipeline must take colour (H, W, 3) and gray (H, W) uint8 arrays alike: "
                             "start with v2.ToImage(); v2.Grayscale() leaves a one-channel image as it is.")
            problem = _tensor_problem(result, what, ", then v2.ToDtype(torch.float32, scale=True)")
            if problem is not None:
                return problem
            if not np.array_equal(photo, kept):
                return wrong(f"{what} changed the photo it was given",
                             "a transform must return a new image and leave its input alone.")
            shape = tuple(result.shape)
            if shape != (1, SIDE, SIDE):
                if result.ndim == 4:
                    hint = "return one image (C, H, W); the batch axis is added later by a DataLoader."
                elif result.ndim == 3 and shape[0] == 3:
                    hint = "the network takes one channel: add v2.Grayscale()."
                elif result.ndim == 3 and min(shape[1:]) == SIDE and max(shape[1:]) > SIDE:
                    hint = "Resize(64) makes the shorter side 64; add v2.CenterCrop(64) to cut the square."
                else:
                    hint = ("v2.Resize(64) makes the shorter side 64 pixels, then v2.CenterCrop(64) cuts "
                            "out the central 64×64.")
                return wrong(f"{what} has shape {shape}; the network wants (1, {SIDE}, {SIDE})", hint)
            again = _seeded(my_preprocess, photo, 1)
            if not torch.equal(torch.as_tensor(again), result):
                return wrong(f"{what} gives a different tensor each time",
                             "preprocessing must be deterministic: use CenterCrop, not RandomCrop or "
                             "RandomResizedCrop, and no random flips or jitter.")
            values = result.as_subclass(torch.Tensor)
            if float(values.max()) > 20:
                return wrong(f"{what} has values up to {float(values.max()):.0f}",
                             "v2.ToDtype(torch.float32, scale=True): without scale=True the values stay "
                             "0…255.")
            if float(values.min()) >= 0 and float(values.max()) <= 1:
                return wrong(f"{what} has values from {float(values.min()):.2f} to "
                             f"{float(values.max()):.2f}, not normalised",
                             f"end with v2.Normalize(mean=[ex.GRAY_MEAN], std=[ex.GRAY_STD]), i.e. "
                             f"(x − {GRAY_MEAN}) / {GRAY_STD}.")
            expected = reference(photo)
            error = float((values - expected).abs().mean())
            if error > 0.1:
                base = _unnormalised(photo).as_subclass(torch.Tensor).flatten().double()
                got = values.flatten().double()
                design = torch.stack([base, torch.ones_like(base)], dim=1)
                fit = torch.linalg.lstsq(design, got[:, None]).solution[:, 0]
                residual = float((design @ fit - got).abs().mean())
                if residual < 0.05:  # the right pixels, normalised with other numbers
                    scale, shift = float(fit[0]), float(fit[1])
                    return wrong(f"{what} is normalised differently: your values are x·{scale:.2f} "
                                 f"{shift:+.2f} instead of (x − {GRAY_MEAN}) / {GRAY_STD}",
                                 "use v2.Normalize(mean=[ex.GRAY_MEAN], std=[ex.GRAY_STD]), after "
                                 "ToDtype(..., scale=True).")
                hint = ("resize the shorter side with v2.Resize(64) (keeping the aspect ratio), then "
                        "v2.CenterCrop(64); Resize((64, 64)) would squash the photo.")
                return wrong(f"{what} differs from the expected tensor by {error:.2f} per pixel on "
                             "average", hint)
            outputs.append(values)
    pooled = torch.stack(outputs)
    return correct(f"my_preprocess turns {len(outputs)} photos (colour and gray, 40 to 600 pixels wide, "
                   f"landscape, square and portrait) into (1, {SIDE}, {SIDE}) float32 tensors; over all "
                   f"of them mean {float(pooled.mean()):.2f}, std {float(pooled.std()):.2f}.")


# ----------------------------------------------------------------------------------------------
# Exercise 2: an augmentation pipeline: random left-right flip and a random 48×48 window


@solution("flip_crop_augment")
def solution_augment():
    from torchvision.transforms import v2

    # A 48×48 window inside 64×64 can start at rows 0…16 and columns 0…16: 17 × 17 = 289
    # positions. No Resize (the network takes the 48×48 crop as it is), no vertical flip (a
    # left–right mirror only). Either order gives the same kinds of results.
    return v2.Compose([
        v2.RandomHorizontalFlip(p=0.5),  # mirror left–right half of the time
        v2.RandomCrop(CROP),  # a 48×48 window at a random position
    ])


def coordinate_image(side: int = SIDE):
    """A (3, side, side) float image whose pixels say where they are: row / (side − 1) in channel
    0, column / (side − 1) in channel 1, and a value unique to each pixel in channel 2."""

    rows, cols = torch.meshgrid(torch.arange(side), torch.arange(side), indexing="ij")
    scale = side - 1
    return torch.stack([rows / scale, cols / scale, (rows * side + cols) / (side * side - 1)]).float()


def _window(result, image):
    """(top, left, mirrored) if ``result`` is a CROP×CROP window of ``image``, perhaps mirrored
    left–right; else a string saying what it is instead."""

    scale = image.shape[-1] - 1
    rows = torch.round(result[0, :, 0] * scale).long()
    cols = torch.round(result[1, 0, :] * scale).long()
    steps_down, steps_right = torch.diff(rows), torch.diff(cols)
    if bool((steps_down == -1).all()):
        return "upside down"
    mirrored = bool((steps_right == -1).all())
    top, left = int(rows[0]), int(cols[-1] if mirrored else cols[0])
    if not (0 <= top <= image.shape[-2] - CROP and 0 <= left <= image.shape[-1] - CROP):
        return "not a window"
    window = image[:, top:top + CROP, left:left + CROP]
    if mirrored:
        window = window.flip(-1)
    if not torch.allclose(result, window, atol=1e-6):
        return "not a window"
    return top, left, mirrored


@checker("set my_augment to a v2.Compose([...]) of transforms",
         solution='flip_crop_augment', title='Exercise 2 · Augment: flip and crop')
def check_augment(my_augment):
    """On a 3×64×64 image whose pixels hold their coordinates: every output is an exact 48×48
    window, mirrored in some calls and not others, at varying positions, reproducible by seed."""

    if not callable(my_augment):
        return wrong(f"my_augment is a {type(my_augment).__name__}",
                     "make it a transform: my_augment = v2.Compose([step, step, ...]).")
    image = coordinate_image()
    kept = image.clone()
    draws = []
    with _own_random_state():
        for seed in range(N_SEEDS):
            what = f"my_augment(a 3×{SIDE}×{SIDE} float image) with seed {seed}"
            result = _seeded(my_augment, image, seed)
            problem = _tensor_problem(result, what, "")
            if problem is not None:
                return problem
            if not torch.equal(image, kept):
                return wrong("my_augment changed the image it was given",
                             "a transform must return a new image and leave its input alone.")
            result = result.as_subclass(torch.Tensor)
            if tuple(result.shape) != (3, CROP, CROP):
                hint = (f"add v2.RandomCrop({CROP}): it cuts a {CROP}×{CROP} window at a random place."
                        if tuple(result.shape) == (3, SIDE, SIDE) else
                        f"v2.RandomCrop({CROP}) gives (3, {CROP}, {CROP}); do not resize.")
                return wrong(f"{what} has shape {tuple(result.shape)}, not (3, {CROP}, {CROP})", hint)
            window = _window(result, image)
            if window == "upside down":
                return wrong(f"{what} turned the image upside down",
                             "a left–right mirror is v2.RandomHorizontalFlip; RandomVerticalFlip flips "
                             "top to bottom.")
            if isinstance(window, str):
                return wrong(f"{what} is not a {CROP}×{CROP} piece of the image (mirrored or not)",
                             f"use only v2.RandomHorizontalFlip() and v2.RandomCrop({CROP}): no padding, "
                             "resizing, rotation or colour change.")
            draws.append(window)
            again = _seeded(my_augment, image, seed)
            if not torch.equal(torch.as_tensor(again).as_subclass(torch.Tensor), result):
                return wrong(f"two calls after torch.manual_seed({seed}) gave different results",
                             "draw random numbers from torch (torchvision's transforms do), not from "
                             "Python's random or NumPy, so that torch.manual_seed repeats them.")
    flips = sum(mirrored for _, _, mirrored in draws)
    positions = {(top, left) for top, left, _ in draws}
    if flips == 0:
        return wrong(f"none of {N_SEEDS} seeded calls mirrored the image",
                     "add v2.RandomHorizontalFlip() (it mirrors with probability p = 0.5).")
    if flips == N_SEEDS:
        return wrong(f"all {N_SEEDS} seeded calls mirrored the image",
                     "the flip should be random: v2.RandomHorizontalFlip(p=0.5), not p=1.")
    if len(positions) == 1:
        top, left = positions.pop()
        centre = (SIDE - CROP) // 2
        hint = ("CenterCrop always cuts the middle: use v2.RandomCrop." if (top, left) == (centre, centre)
                else "the window should move: use v2.RandomCrop.")
        return wrong(f"all {N_SEEDS} windows start at row {top}, column {left}", hint)
    return correct(f"my_augment gives an exact {CROP}×{CROP} window: mirrored in {flips} of {N_SEEDS} "
                   f"seeded calls, at {len(positions)} different positions; the same seed gives the "
                   "same result.")


# ----------------------------------------------------------------------------------------------
# Exercise 3: a transform class of your own


@solution("random_invert")
class SolutionRandomInvert:
    def __init__(self, p=0.5):
        if isinstance(p, bool) or not isinstance(p, (int, float)):
            raise TypeError(f"p must be a number, got {p!r}")
        if not 0 <= p <= 1:
            raise ValueError(f"p must be between 0 and 1, got {p}")
        self.p = p

    def __call__(self, image):
        import torch

        if torch.rand(1).item() < self.p:  # torch's generator: torch.manual_seed repeats it
            return 1.0 - image  # a new tensor; the input stays as it was
        return image

    def __repr__(self):
        return f"RandomInvert(p={self.p})"


_NAMES_P = re.compile(r"\bp\b")


@checker("complete the class MyRandomInvert",
         solution='random_invert', title='Exercise 3 · A transform class of your own')
def check_random_invert(my_class):
    """p=1 always gives 1 − image, p=0 never; p=0.5 sometimes; seeded calls repeat; the input is
    left alone; p outside [0, 1] raises ValueError naming p; it composes with torchvision's."""

    if not isinstance(my_class, type):
        return wrong(f"MyRandomInvert is a {type(my_class).__name__}, not a class",
                     "define it with `class MyRandomInvert:` and methods __init__ and __call__.")
    generator = torch.Generator().manual_seed(6)
    image = torch.rand(3, 8, 8, generator=generator)
    kept = image.clone()
    with _own_random_state():
        always = my_class(p=1.0)
        result = _seeded(always, image, 0)
        if result is None:
            return not_attempted("complete the class MyRandomInvert")
        if not isinstance(result, torch.Tensor):
            return wrong(f"MyRandomInvert(p=1.0)(image) returned a {type(result).__name__}",
                         "return a tensor: 1 - image.")
        if not torch.allclose(result, 1 - kept):
            if torch.equal(result, kept):
                return wrong("MyRandomInvert(p=1.0) returned the image unchanged",
                             "with p = 1 it must always invert: compare a random number below p, "
                             "torch.rand(1) < self.p.")
            return wrong("MyRandomInvert(p=1.0)(image) is not 1 − image",
                         "an image in [0, 1] is inverted by 1 - image (black ↔ white).")
        if not torch.equal(image, kept):
            return wrong("MyRandomInvert changed the image it was given (in place)",
                         "return a new tensor, 1 - image; do not modify image itself (no image.neg_(), "
                         "image[:] = ... or image -= ...).")
        result = _seeded(my_class(p=0.0), image, 0)
        if not isinstance(result, torch.Tensor) or not torch.equal(result, kept):
            if isinstance(result, torch.Tensor) and torch.allclose(result, 1 - kept):
                return wrong("MyRandomInvert(p=0.0) inverted the image",
                             "with p = 0 it must never invert: invert only when torch.rand(1) < self.p.")
            return wrong("MyRandomInvert(p=0.0) did not return the image unchanged",
                         "when it does not invert, return the image itself.")
        half = my_class()
        inverted = 0
        for seed in range(N_SEEDS):
            result = _seeded(half, image, seed)
            if torch.allclose(result, 1 - kept):
                inverted += 1
            elif not torch.equal(result, kept):
                return wrong(f"MyRandomInvert() with seed {seed} gave something else than the image or "
                             "1 − image", "return either 1 - image or image itself.")
            if not torch.equal(_seeded(half, image, seed), result):
                return wrong(f"two calls after torch.manual_seed({seed}) gave different results",
                             "draw the random number with torch.rand(1), so that torch.manual_seed "
                             "repeats it (Python's random and NumPy have their own seeds).")
        if inverted in (0, N_SEEDS):
            return wrong(f"MyRandomInvert() inverted {inverted} of {N_SEEDS} seeded calls",
                         "the default is p = 0.5: invert when torch.rand(1) < self.p.")
        for bad in (1.5, -0.1):
            try:
                my_class(p=bad)
            except ValueError as error:
                if not _NAMES_P.search(str(error)):
                    return wrong(f"MyRandomInvert(p={bad}) raised ValueError({str(error)!r})",
                                 "name the argument in the message, e.g. 'p must be between 0 and 1, "
                                 f"got {bad}'.")
            except Exception as error:  # noqa: BLE001 - any other exception is feedback
                return wrong(f"MyRandomInvert(p={bad}) raised {type(error).__name__}, not ValueError",
                             "in __init__: if not 0 <= p <= 1: raise ValueError(...).")
            else:
                return wrong(f"MyRandomInvert(p={bad}) was accepted",
                             "a probability must be between 0 and 1: in __init__, "
                             "if not 0 <= p <= 1: raise ValueError(f'p must be between 0 and 1, got {p}').")
        pipeline = v2.Compose([v2.RandomHorizontalFlip(p=1.0), my_class(p=1.0)])
        if not torch.allclose(_seeded(pipeline, image, 0), 1 - kept.flip(-1)):
            return wrong("in v2.Compose([v2.RandomHorizontalFlip(p=1.0), MyRandomInvert(p=1.0)]) the "
                         "result is not the inverted mirror image", "__call__ must take the image and "
                         "return the transformed image.")
    return correct(f"MyRandomInvert inverts with probability p ({inverted} of {N_SEEDS} seeded calls at "
                   "p = 0.5), repeats with torch.manual_seed, leaves its input alone, refuses p = 1.5 and "
                   "p = −0.1 with a ValueError naming p, and composes with torchvision's transforms.")

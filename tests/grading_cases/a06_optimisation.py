"""Synthetic students for 06-optimisation: the correct solution, the typical optimiser mistakes, and misbehaviour.

A wrong optimiser costs its own item only: run_optimiser is graded with the
grader's momentum and Adam steps standing in for the student's (error carried
forward).
"""

from grading_cases import Submission

ASSIGNMENT = "06-optimisation"

_MUTATING_MOMENTUM = '''
def momentum_step(w, g, state, lr, beta=0.9):
    v = beta * state["v"] + g
    w -= lr * v  # changes the caller's array
    return w, {"v": v}
'''

_NO_STATE_ADAGRAD = '''
def adagrad_step(w, g, state, lr, eps=1e-8):
    s = state["s"] + g ** 2
    return w - lr * g / (np.sqrt(s) + eps), state  # returns the old state: nothing is remembered
'''

_SIGN_FLIPPED_RMSPROP = '''
def rmsprop_step(w, g, state, lr, rho=0.9, eps=1e-8):
    s = rho * state["s"] + (1.0 - rho) * g ** 2
    return w + lr * g / (np.sqrt(s) + eps), {"s": s}  # climbs instead of descending
'''

_UNCORRECTED_ADAM = '''
def adam_step(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * state["m"] + (1.0 - beta1) * g
    v = beta2 * state["v"] + (1.0 - beta2) * g ** 2
    return w - lr * m / (np.sqrt(v) + eps), {"m": m, "v": v, "t": state["t"] + 1}
'''

_LOOPING_SCHEDULE = '''
def step_decay(t, lr0, drop=0.5, every=10):
    rate = lr0
    while True:  # meant to count the drops, never stops
        rate = rate * 1.0
    return rate


def cosine_schedule(t, lr0, total_steps, lr_min=0.0):
    t = min(t, total_steps)
    return lr_min + (lr0 - lr_min) * 0.5 * (1.0 + np.cos(np.pi * t / total_steps))
'''

_REFERENCE_ADAM = '''
from dlfoundations.optim import Adam


def adam_step(w, g, state, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    reference = Adam(lr, beta1, beta2, eps)
    library_state = {"step": state["t"], "m": {"w": state["m"]}, "v": {"w": state["v"]}}
    params, new = reference.update({"w": g}, library_state, {"w": w})
    return params["w"], {"m": new["m"]["w"], "v": new["v"]["w"], "t": new["step"]}
'''

_SYS_MODULES_MOMENTUM = '''
import sys
__import__("dlfoundations.optim")


def momentum_step(w, g, state, lr, beta=0.9):
    reference = sys.modules["dlfoundations.optim"].Momentum(lr, beta)
    params, new = reference.update({"w": g}, {"step": 0, "v": {"w": state["v"]}}, {"w": w})
    return params["w"], {"v": new["v"]["w"]}
'''

SUBMISSIONS = [
    Submission("correct"),
    Submission("mutates_input", answers={"momentum-answer": _MUTATING_MOMENTUM},
               expected={'momentum-test': 0.0}, diagnoses={'momentum-test': 'mutates-input'}),
    Submission("state_not_carried", answers={"adagrad-answer": _NO_STATE_ADAGRAD},
               expected={'adagrad-test': 0.0},
               diagnoses={'adagrad-test': 'wrong-value'}),
    Submission("sign_flipped", answers={"rmsprop-answer": _SIGN_FLIPPED_RMSPROP},
               expected={'rmsprop-test': 0.0},
               diagnoses={'rmsprop-test': 'sign-flipped'}),
    Submission("no_bias_correction", answers={"adam-answer": _UNCORRECTED_ADAM},
               expected={'adam-test': 0.0}, diagnoses={'adam-test': 'wrong-value'}),
    Submission("loop", answers={"schedules-answer": _LOOPING_SCHEDULE}, expected={'schedules-test': 0.0}, diagnoses={'schedules-test': 'time-limit'}),
    Submission("deleted_test", delete_cells=("schedules-test",)),
    Submission("uses_reference", answers={"adam-answer": _REFERENCE_ADAM},
               expected={'adam-test': 0.0}, diagnoses={'adam-test': 'missing'}),
    Submission("uses_reference_sys_modules", answers={"momentum-answer": _SYS_MODULES_MOMENTUM},
               expected={'momentum-test': 0.0}, diagnoses={'momentum-test': 'missing'}),
]

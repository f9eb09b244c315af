"""The numerics of the risk model: penalised logistic fits and the district effect's quadrature.

Shared by :class:`models.risk.scorer.RiskScorer` (fitting and scoring),
:mod:`models.risk.recency` (the predictive likelihood of each year's findings, drift alerts)
and the calibrated baselines of :mod:`models.evaluation.baselines`. A district's own effect
``u = tau * s`` is integrated on fixed nodes of ``s`` (:data:`S_NODES`); its complaints,
when read as evidence, add a term per node (:class:`ComplaintTable`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special

__all__ = [
    "S_NODES",
    "ComplaintTable",
    "check_complaints",
    "district_rows",
    "effect_loglik",
    "effect_quantile",
    "empty_counts",
    "fit_logistic",
    "fit_marginal",
    "index_of",
    "logit",
    "logsumexp_rows",
    "lookup_counts",
    "posterior_cov",
    "re_sd_posterior",
    "select_strength",
]

def logit(p):
    """Log-odds of ``p``, clipped away from 0 and 1."""
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p) - np.log1p(-p)


def empty_counts() -> pd.DataFrame:
    """Return an empty per-district table of inspections ``n`` and findings ``k``."""
    return pd.DataFrame({"n": pd.Series(dtype=float), "k": pd.Series(dtype=float)})


def index_of(X):
    """Return the index of ``X`` if it is a DataFrame (rows keep their keys), else ``None``."""
    return X.index if isinstance(X, pd.DataFrame) else None


def district_rows(groups, sample_weight, y01) -> pd.DataFrame:
    """Per district key (sorted): inspections ``n``, findings ``k`` and its first ``row``."""
    frame = pd.DataFrame({"g": groups, "n": sample_weight, "k": sample_weight * y01,
                          "row": np.arange(len(y01))})
    return frame.groupby("g", sort=True).agg(n=("n", "sum"), k=("k", "sum"),
                                             row=("row", "first"))


def lookup_counts(counts: pd.DataFrame, groups) -> tuple[np.ndarray, np.ndarray]:
    """Return ``n`` and ``k`` of each key of ``groups`` (0 for a key without a row)."""
    keys = pd.Index(np.asarray(groups))
    got = counts.reindex(keys)
    return got["n"].fillna(0.0).to_numpy(float), got["k"].fillna(0.0).to_numpy(float)


def fit_logistic(
    Z, y, w, prior, alpha, intercept_prior, alpha0, *, counts=None, start=None
) -> np.ndarray:
    """Minimise binomial deviance + alpha/2 |b - prior|^2 + alpha0/2 (b0 - intercept_prior)^2.

    Rows are either (y, w) pairs or aggregated (n, k) counts; both are binomial likelihoods.
    """
    if counts is not None:
        n, k = counts
    else:
        n, k = w, w * y
    design = np.column_stack([np.ones(Z.shape[0]), Z])
    centre = np.concatenate([[intercept_prior], prior])
    precision = np.concatenate([[alpha0], np.full(prior.shape[0], alpha)])
    precision = np.maximum(precision, 1e-8)

    def penalised(beta):
        eta = design @ beta
        d = beta - centre
        # n * log(1 + e^eta) - k * eta is the binomial negative log-likelihood
        return np.sum(n * np.logaddexp(0.0, eta) - k * eta) + 0.5 * np.sum(precision * d * d)

    # Newton-Raphson with step halving: the problem is small (a few weights) and strictly
    # convex (the penalty makes the Hessian positive definite), so it converges in a handful
    # of steps, much faster than a general-purpose optimiser.
    beta = centre.copy() if start is None else np.asarray(start, dtype=float).copy()
    value = penalised(beta)
    for _ in range(100):
        p = special.expit(design @ beta)
        grad = design.T @ (n * p - k) + precision * (beta - centre)
        hess = (design * (n * p * (1.0 - p))[:, None]).T @ design + np.diag(precision)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while True:
            cand = beta - t * step
            cand_value = penalised(cand)
            if cand_value <= value + 1e-12 or t < 1e-6:
                break
            t *= 0.5
        beta, done = cand, abs(value - cand_value) < 1e-10 * (1.0 + abs(value))
        value = cand_value
        if done and np.max(np.abs(t * step)) < 1e-8:
            break
    return beta


def fit_marginal(Z, n, k, prior, alpha, intercept_prior, alpha0, tau, *, start=None,
                  extra=None) -> np.ndarray:
    """Maximise the marginal likelihood of district counts over the weights, penalised.

    ``-sum_d log int Binomial(k_d | n_d, expit(x_d b + tau s)) phi(s) ds + penalty``, the
    integral by the quadrature of :func:`effect_loglik`. Newton steps with the observed
    information ``sum_d x_d x_d' (E[n p (1 - p)] - Var[n p])`` (kept positive), halved until
    the objective falls. ``extra``: more evidence about each district's effect at each node
    (the complaints' term), added to the log-weights.
    """
    design = np.column_stack([np.ones(Z.shape[0]), Z])
    centre = np.concatenate([[intercept_prior], prior])
    precision = np.maximum(np.concatenate([[alpha0], np.full(prior.shape[0], alpha)]), 1e-8)

    def parts(beta):
        eta = design @ beta
        logw = effect_loglik(eta, n, k, tau, extra)
        top = logw.max(axis=1, keepdims=True)
        w = np.exp(logw - top)
        total = w.sum(axis=1, keepdims=True)
        d = beta - centre
        value = -float(np.sum(np.log(total[:, 0]) + top[:, 0])) + 0.5 * np.sum(precision * d * d)
        return value, w / total, eta

    beta = centre.copy() if start is None else np.asarray(start, float).copy()
    value, w, eta = parts(beta)
    for _ in range(50):
        p = special.expit(eta[:, None] + tau * S_NODES[None, :])
        mean_p = np.sum(w * p, axis=1)
        grad = design.T @ (n * mean_p - k) + precision * (beta - centre)
        info = n * np.sum(w * p * (1.0 - p), axis=1) - n**2 * (np.sum(w * p * p, axis=1)
                                                                - mean_p**2)
        hess = (design * np.maximum(info, 1e-9)[:, None]).T @ design + np.diag(precision)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while True:
            cand = beta - t * step
            cand_value, cand_w, cand_eta = parts(cand)
            if cand_value <= value + 1e-12 or t < 1e-6:
                break
            t *= 0.5
        done = abs(value - cand_value) < 1e-10 * (1.0 + abs(value))
        beta, value, w, eta = cand, cand_value, cand_w, cand_eta
        if done and np.max(np.abs(t * step)) < 1e-7:
            break
    return beta


def select_strength(Z, counts, prior, intercept_prior, alpha0, *, lo, hi) -> float:
    """Prior precision in [lo, hi] that maximises the Laplace approximation of the evidence.

    For weights ``b ~ Normal(prior, I / alpha)`` and a binomial likelihood,
    ``log p(y | alpha) ~ -f(b_hat) + (d / 2) log alpha - (1 / 2) log det H(b_hat)``, where
    ``f`` is the penalised negative log-likelihood and ``H`` its Hessian (MacKay's evidence
    framework). Returns ``hi`` when there is nothing to choose from.
    """
    n, k = counts
    if hi <= lo or prior.shape[0] == 0 or not np.any(n > 0):
        return float(hi)
    design = np.column_stack([np.ones(Z.shape[0]), Z])
    d = prior.shape[0]
    start = [None]

    def neg_evidence(log_alpha):
        alpha = float(np.exp(log_alpha))
        beta = fit_logistic(Z, None, None, prior, alpha, intercept_prior, alpha0,
                             counts=(n, k), start=start[0])
        start[0] = beta
        eta = design @ beta
        centre = np.concatenate([[intercept_prior], prior])
        precision = np.concatenate([[alpha0], np.full(d, alpha)])
        f = np.sum(n * np.logaddexp(0.0, eta) - k * eta) + 0.5 * np.sum(
            precision * (beta - centre) ** 2)
        p = special.expit(eta)
        hess = (design * (n * p * (1.0 - p))[:, None]).T @ design + np.diag(precision)
        _, logdet = np.linalg.slogdet(hess)
        return f - 0.5 * d * np.log(alpha) + 0.5 * logdet

    res = optimize.minimize_scalar(neg_evidence, bounds=(np.log(lo), np.log(hi)),
                                   method="bounded", options={"xatol": 1e-2})
    best = float(np.exp(res.x))
    # the bounded search never evaluates the ends themselves: the cap may be the best
    return float(hi) if neg_evidence(np.log(hi)) <= res.fun else best


def posterior_cov(Z, n, beta, alpha, alpha0, tau) -> np.ndarray:
    """Covariance of [intercept, weights] under the Laplace approximation of the posterior.

    The binomial information of a district, ``n p (1 - p)``, is divided by the design effect
    of its own random effect, ``1 + (n - 1) tau^2 p (1 - p)`` (inspections in one district are
    not independent), so the weights are not more certain than the districts allow; the prior
    adds its precision. With little data the covariance is the prior's.
    """
    design = np.column_stack([np.ones(Z.shape[0]), Z])
    p = special.expit(design @ beta)
    v = p * (1.0 - p)
    info = n * v / (1.0 + np.maximum(n - 1.0, 0.0) * tau**2 * v)
    precision = np.concatenate([[alpha0], np.full(Z.shape[1], alpha)])
    hess = (design * info[:, None]).T @ design + np.diag(np.maximum(precision, 1e-8))
    return np.linalg.inv(hess)


#: Standardised nodes of the district effect (u = tau * s) and their Normal(0, 1) weights.
S_NODES = np.linspace(-4.5, 4.5, 121)
_S_LOGW = -0.5 * S_NODES**2 - np.log(np.sum(np.exp(-0.5 * S_NODES**2)))
#: Grid of tau, the standard deviation of the district effect on the logit scale.
_TAU_GRID = np.linspace(0.0, 2.5, 51)


def effect_loglik(eta, n, k, tau, extra=None) -> np.ndarray:
    """Log prior weight + binomial log-likelihood of each (district, node): shape (D, S).

    ``extra`` (D, S), optional: further log-likelihood of each district at each node (its
    complaints, :func:`_complaint_loglik`).
    """
    lin = eta[:, None] + tau * S_NODES[None, :]
    # k log p + (n - k) log (1 - p) = k lin - n log(1 + e^lin): one softplus, not two
    ll = k[:, None] * lin - n[:, None] * np.logaddexp(0.0, lin)
    ll += _S_LOGW[None, :]
    return ll if extra is None else ll + extra


#: Upper bound of ``g``, the standard deviation of a district's log complaint rate that its
#: own effect explains (e^3: twenty times more complaints one sd up is beyond any record).
_MAX_COMPLAINT_SD = 3.0


def _complaint_loglik(c, log_mu, g) -> np.ndarray:
    """Poisson log-likelihood of ``c`` complaints at each node, rate ``mu e^(g s - g^2/2)``.

    Shape (D, S), without ``log c!`` (constant in ``g`` and ``s``). The rate's mean over
    ``s ~ Normal(0, 1)`` is ``mu``.
    """
    lin = (np.asarray(log_mu, float) - 0.5 * g * g)[:, None] + g * S_NODES[None, :]
    return np.asarray(c, float)[:, None] * lin - np.exp(lin)


def _complaint_spread(c, log_mu) -> float:
    """Spread of the complaints' log rate, by maximum likelihood on the complaints alone.

    ``sigma`` of ``c ~ Poisson(mu e^(v - sigma^2/2))``, ``v ~ Normal(0, sigma^2)``, from 0 to
    :data:`_MAX_COMPLAINT_SD` (0 without any complaint).
    """
    c, log_mu = np.asarray(c, float), np.asarray(log_mu, float)
    if c.shape[0] == 0 or not np.any(c > 0):
        return 0.0

    def negative(sigma: float) -> float:
        return -float(np.sum(logsumexp_rows(_complaint_loglik(c, log_mu, sigma)
                                             + _S_LOGW[None, :])))

    res = optimize.minimize_scalar(negative, bounds=(0.0, _MAX_COMPLAINT_SD), method="bounded",
                                   options={"xatol": 1e-2})
    return 0.0 if negative(0.0) <= res.fun else float(res.x)


#: Nodes of the complaint log-rate ``t`` (in units of its spread ``sigma``): coarser than
#: :data:`S_NODES`, the likelihood of a count is smooth in ``t``.
_T_NODES = np.linspace(-4.5, 4.5, 61)


class ComplaintTable:
    """Log-likelihood of each district's complaints given its own effect ``s``, for any ``g``.

    ``log p(c_d | s) = log int Poisson(c_d | mu_d e^(t - sigma^2/2)) Normal(t | g s,
    sigma^2 - g^2) dt``: the Poisson part is tabulated once on a grid of ``t``
    (:data:`_T_NODES` times ``sigma``), the Normal kernel for each ``g``, and the integral
    is one matrix product (D x T times T x S). A district whose ``log_mu`` is missing (no
    row in the complaints) gets no term (``known`` is False); ``spread`` not given: measured
    on the known rows (:func:`_complaint_spread`).
    """

    def __init__(self, c, log_mu, spread: float | None = None) -> None:
        c, log_mu = np.asarray(c, float), np.asarray(log_mu, float)
        self.known = np.isfinite(log_mu)
        c, log_mu = c[self.known], log_mu[self.known]
        self.spread = _complaint_spread(c, log_mu) if spread is None else float(spread)
        self.t = self.spread * _T_NODES
        lin = (log_mu - 0.5 * self.spread**2)[:, None] + self.t[None, :]
        logp = c[:, None] * lin - np.exp(lin)
        self.top = logp.max(axis=1)
        self.scaled = np.exp(logp - self.top[:, None])

    def loglik(self, g: float) -> np.ndarray:
        """Shape (D, S): each district's complaint log-likelihood at each node of ``s``."""
        out = np.zeros((self.known.shape[0], S_NODES.shape[0]))
        if self.spread <= 0:
            return out
        g = min(max(float(g), 0.0), self.spread)
        step = self.t[1] - self.t[0]
        # the rest's spread, at least a grid step (a narrower kernel falls between nodes)
        rest = max(np.sqrt(max(self.spread**2 - g * g, 0.0)), step)
        kernel = np.exp(-0.5 * ((self.t[:, None] - g * S_NODES[None, :]) / rest) ** 2)
        kernel /= kernel.sum(axis=0, keepdims=True)
        mixed = self.scaled @ kernel
        out[self.known] = np.log(np.maximum(mixed, 1e-300)) + self.top[:, None]
        return out


def check_complaints(complaints) -> pd.DataFrame | None:
    """Check the ``complaints`` of :meth:`RiskScorer.fit`; return it as ``c``, ``log_mu``."""
    if complaints is None:
        return None
    frame = pd.DataFrame(complaints)
    missing = {"c", "log_mu"} - set(frame.columns)
    if missing:
        raise ValueError(f"complaints needs columns c and log_mu; missing {sorted(missing)}.")
    if not frame.index.is_unique:
        raise ValueError("complaints: one row per district key (repeated keys found).")
    c = pd.to_numeric(frame["c"], errors="coerce")
    log_mu = pd.to_numeric(frame["log_mu"], errors="coerce")
    if c.isna().any() or (c < 0).any() or not np.all(np.isfinite(log_mu)):
        raise ValueError("complaints: c must be counts >= 0 and log_mu finite.")
    return pd.DataFrame({"c": c.to_numpy(float), "log_mu": log_mu.to_numpy(float)},
                        index=pd.Index(frame.index, name="g"))


def logsumexp_rows(a: np.ndarray) -> np.ndarray:
    """``log(sum(exp(a), axis=1))`` without scipy's array-API overhead (a hot loop)."""
    top = a.max(axis=1)
    return np.log(np.exp(a - top[:, None]).sum(axis=1)) + top


def re_sd_posterior(eta, n, k, scale, design=None, precision=None, near=None, extra=None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Posterior of tau on :data:`_TAU_GRID`: integrated likelihood times a Gamma(2) prior.

    The likelihood of tau integrates out each district's effect (quadrature) and, when
    ``design`` and ``precision`` are given, the weights too (Laplace: ``-1/2 log det H(tau)``,
    with the information of each district reduced by its design effect as in
    :func:`posterior_cov`). Plugging the fitted weights in instead would let them absorb part
    of the district variation — above all for rare, skewed layers fitted on a few districts —
    and underestimate tau, the same bias that REML corrects in linear mixed models.

    ``near``: an earlier posterior on the same grid (the joint fit's previous round): only
    the grid points it did not rule out (weight above 1e-9 of its mode) are computed again.
    """
    mask = n > 0
    if not np.any(mask):
        return np.zeros(1), np.ones(1)
    # a district never inspected adds the same to every tau (its complaints' term, ``extra``,
    # is on the standardised effect): leaving it out changes nothing
    eta, n, k = eta[mask], n[mask], k[mask]
    extra = None if extra is None else extra[mask]
    size = _TAU_GRID.shape[0]
    logml = np.full(size, -np.inf)

    def integrated(i: int) -> float:
        return float(np.sum(logsumexp_rows(effect_loglik(eta, n, k, _TAU_GRID[i], extra))))

    if near is not None and np.shape(near) == _TAU_GRID.shape:
        keep = np.asarray(near) > 1e-9 * np.max(near)
    else:
        # every fourth point first: the integrated likelihood is smooth in tau, so the points
        # far (e^-25) below the best of their coarse neighbours are not computed at all
        coarse = np.unique(np.r_[np.arange(0, size, 4), size - 1])
        values = np.array([integrated(i) for i in coarse])
        logml[coarse] = values
        bound = np.interp(np.arange(size), coarse, values)
        keep = bound > values.max() - 25.0
    keep = np.convolve(keep, np.ones(3), mode="same") > 0  # and one grid step around
    for i in np.flatnonzero(keep & ~np.isfinite(logml)):
        logml[i] = integrated(i)
    keep = np.isfinite(logml)
    if design is not None and precision is not None:
        design = design[mask]
        v = special.expit(eta) * (1.0 - special.expit(eta))
        prec = np.diag(np.maximum(precision, 1e-8))
        for i in np.flatnonzero(keep):
            t = _TAU_GRID[i]
            info = n * v / (1.0 + np.maximum(n - 1.0, 0.0) * t**2 * v)
            logml[i] -= 0.5 * np.linalg.slogdet((design * info[:, None]).T @ design + prec)[1]
    # Gamma(2, scale) prior: zero density at tau = 0 (Chung et al. 2013, "A nondegenerate
    # penalized likelihood estimator for variance parameters in multilevel models"). With a
    # few inspections per district the likelihood is nearly flat near 0 and a prior with its
    # mode there (half-normal, half-Cauchy) collapses tau toward 0, which makes the intervals
    # of rarely inspected districts too narrow; the likelihood itself rules out large values.
    with np.errstate(divide="ignore"):
        logpost = logml + np.log(_TAU_GRID) - _TAU_GRID / max(scale, 1e-6)
    w = np.exp(logpost - logpost.max())
    return _TAU_GRID.copy(), w / w.sum()


def effect_quantile(eta, n, k, tau, q, extra=None) -> np.ndarray:
    """Quantile ``q`` (one per district) of the posterior of each district's effect u.

    The posterior is discretised on ``tau * s`` nodes; the quantile is interpolated linearly
    within the node's cell, so draws (``q`` uniform) are continuous.
    """
    logw = effect_loglik(eta, n, k, tau, extra)
    w = np.exp(logw - logw.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    cdf = np.cumsum(w, axis=1)
    q = np.clip(np.asarray(q, dtype=float), 1e-9, 1 - 1e-9)
    idx = np.minimum((cdf < q[:, None]).sum(axis=1), S_NODES.shape[0] - 1)
    rows = np.arange(eta.shape[0])
    before = np.where(idx > 0, cdf[rows, np.maximum(idx - 1, 0)], 0.0)
    frac = np.clip((q - before) / np.maximum(w[rows, idx], 1e-300), 0.0, 1.0)
    step = S_NODES[1] - S_NODES[0]
    s = S_NODES[idx] - 0.5 * step + frac * step
    return tau * s

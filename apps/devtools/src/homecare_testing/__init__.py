"""Dev-only code the product images never carry: benchmarks, synthetic data, test oracles.

Part of the dev-only `apps/devtools` distribution, installed only in the dev virtualenv
(`PY_PACKAGES` in the Makefile); `images/build-images.sh` builds no wheel of it, and
`images/check_images.py` asserts none of it is importable there.
"""

"""The science of Shouwang: numpy/scipy only, never Django.

Functions here compute on plain arrays (regions × days); services call them and write the results.
"""

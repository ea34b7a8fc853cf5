"""Static files are gzipped once, and again only when they change; never brotli."""

import os

from npda.storage import StaticFilesStorage


def compress(storage, name):
    return list(storage.post_process({name: (storage, name)}))


def test_a_file_is_gzipped_once_and_again_only_when_it_changes(tmp_path, settings):
    settings.STATIC_ROOT = tmp_path
    storage = StaticFilesStorage(location=tmp_path)
    (tmp_path / "app.js").write_text("function f() { return 1; }\n" * 200)
    assert [c[1] for c in compress(storage, "app.js")] == ["app.js.gz"]
    assert not (tmp_path / "app.js.br").exists()
    assert compress(storage, "app.js") == []  # unchanged: left alone
    later = os.path.getmtime(tmp_path / "app.js.gz") + 10
    os.utime(tmp_path / "app.js", (later, later))
    assert [c[1] for c in compress(storage, "app.js")] == ["app.js.gz"]

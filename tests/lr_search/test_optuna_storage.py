"""--storage: each form that cannot hold a study is a one-line StorageURLError that names the form to use."""
import os

import pytest

from adaptcls.lr_search.optuna_storage import StorageURLError, describe_storage, open_storage

BAD_URLS = {
    'not-a-url': ('notaurl', 'is not a storage URL'),
    'one-slash-sqlite': ('sqlite:/x.db', 'is not a storage URL'),
    'in-memory-sqlite': ('sqlite://', 'in-memory SQLite database'),
    'unknown-dialect': ('mysqll://host/db', 'unknown database kind "mysqll"'),
    'missing-driver': ('postgresql+pg8000://user:secret@127.0.0.1:1/db', 'driver for postgresql is not installed'),
    'empty-journal': ('journal:', 'journal: needs a file path'),
    'unwritable-folder': ('sqlite:////proc/no_such_folder/study.db', 'cannot create the folder'),
}


@pytest.mark.parametrize('case', sorted(BAD_URLS))
def test_a_bad_storage_url_is_a_clear_error(case):
    url, expected = BAD_URLS[case]
    with pytest.raises(StorageURLError, match=expected) as error:
        open_storage(url)
    assert 'secret' not in str(error.value)  # passwords are never printed


def test_a_journal_and_a_sqlite_file_open(tmp_path):
    assert open_storage(f'journal:{tmp_path}/sub/study.log') is not None
    assert open_storage(f'sqlite:///{tmp_path}/other/study.db') is not None
    assert os.path.isdir(tmp_path / 'sub') and os.path.isfile(tmp_path / 'other' / 'study.db')


def test_passwords_are_hidden_in_descriptions():
    assert describe_storage('postgresql://user:secret@host/db') == 'postgresql://user:***@host/db'

"""Reading the JSON files a run wrote (summary.json, the LR search's result.json, ...) with errors that name them."""
import json
from typing import Sequence

from adaptcls.errors import UserInputError


def read_json_object(path: str, required: Sequence[str] = (), fix: str = 'restore it or delete it') -> dict:
    """The JSON object in ``path``.

    Args:
        path (str): the file.
        required (Sequence[str]): keys the object must hold.
        fix (str): what the user can do about a damaged file, ending the error message.

    Raises:
        OSError: the file cannot be read.
        UserInputError: the file is not valid JSON, not an object, or lacks a ``required`` key; the message names the
            file, what is wrong with it and ``fix``.
    """
    with open(path, encoding='utf-8') as stream:
        try:
            data = json.load(stream)
        except ValueError as error:  # JSONDecodeError, or bytes that are not UTF-8
            raise UserInputError(f'{path} is damaged: not valid JSON ({error}); {fix}.') from None
    if not isinstance(data, dict):
        raise UserInputError(f'{path} is damaged: it holds a JSON {type(data).__name__}, not an object; {fix}.')
    missing = [key for key in required if key not in data]
    if missing:
        raise UserInputError(f'{path} is damaged: it lacks {missing}; {fix}.')
    return data

"""Progress lines with an ETA: when they print, what they say, and the iteration helpers."""
import pytest

from adaptcls.utils.progress import ProgressLog, format_duration, track, track_batches


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _progress(total, clock, lines, **kwargs):
    return ProgressLog(total, 'images', every_s=5.0, log=lines.append, clock=clock, **kwargs)


def test_format_duration_is_mmengine_style():
    assert format_duration(0) == '0:00:00'
    assert format_duration(65.4) == '0:01:05'
    assert format_duration(3 * 3600 + 7) == '3:00:07'
    assert format_duration(-3) == '0:00:00'


def test_a_short_step_prints_nothing():
    clock, lines = FakeClock(), []
    progress = _progress(3, clock, lines)
    for _ in range(3):
        clock.now += 1.0
        progress.update()
    assert lines == []


def test_lines_every_interval_with_eta_then_a_done_line():
    clock, lines = FakeClock(), []
    progress = _progress(10, clock, lines)
    for _ in range(10):
        clock.now += 2.0  # 2 s per image
        progress.update()
    # Due at 6 s (3 images, 14 s left), then 5 s after that line: 12 s (6 images, 8 s left), 18 s.
    assert lines == [
        '  images: 3/10 (30%), 0:00:06 elapsed, ETA 0:00:14',
        '  images: 6/10 (60%), 0:00:12 elapsed, ETA 0:00:08',
        '  images: 9/10 (90%), 0:00:18 elapsed, ETA 0:00:02',
        '  images: 10/10 done in 0:00:20',
    ]


def test_update_counts_several_units_and_indent_is_configurable():
    clock, lines = FakeClock(), []
    progress = _progress(100, clock, lines, indent='')
    clock.now += 10.0
    progress.update(25)
    assert lines == ['images: 25/100 (25%), 0:00:10 elapsed, ETA 0:00:30']
    assert progress.status() == lines[0]


def test_every_s_zero_prints_after_each_update():
    clock, lines = FakeClock(), []
    progress = ProgressLog(2, 'backends timed', every_s=0.0, log=lines.append, clock=clock)
    clock.now += 3.0
    progress.update()
    clock.now += 3.0
    progress.update()
    assert lines == ['  backends timed: 1/2 (50%), 0:00:03 elapsed, ETA 0:00:03',
                     '  backends timed: 2/2 done in 0:00:06']


def test_negative_total_is_refused():
    with pytest.raises(ValueError, match='-1 images'):
        ProgressLog(-1, 'images')


def test_track_yields_every_item_and_reports_after_each():
    clock, lines = FakeClock(), []
    seen = []
    for item in track('abc', 3, 'letters', every_s=0.0, log=lines.append, clock=clock):
        clock.now += 1.0
        seen.append(item)
    assert seen == ['a', 'b', 'c']
    assert lines[-1] == '  letters: 3/3 done in 0:00:03' and len(lines) == 3


def test_track_batches_covers_the_range_and_counts_items():
    lines = []
    clock = FakeClock()
    batches = []
    for batch in track_batches(10, 4, 'images', every_s=0.0, log=lines.append, clock=clock):
        clock.now += 1.0
        batches.append(batch)
    assert batches == [slice(0, 4), slice(4, 8), slice(8, 10)]
    assert lines[0] == '  images: 4/10 (40%), 0:00:01 elapsed, ETA 0:00:02'
    assert list(track_batches(0, 4, 'images')) == []
    with pytest.raises(ValueError, match='batch_size'):
        list(track_batches(10, 0, 'images'))

"""``WORK_DIR/report.html``: one self-contained page on a trained (and exported) model.

Written by ``adaptcls train ... --export`` and by ``adaptcls report WORK_DIR`` for any finished run. Every figure comes
from the files the run's steps wrote into the work dir (:data:`RUN_FILES`); every plot is embedded as a ``data:`` URI,
so the page needs no network and no other file: it can be mailed or attached to a ticket as it is. A section whose
files are missing says which command writes them. report.md (:mod:`.markdown_report`) stays the text summary.
"""
import base64
import html
import os.path as osp
from typing import Callable, Dict, Iterable, List, Optional, Sequence

from adaptcls.apis.calibration import CALIBRATION_DIR, CALIBRATION_JSON
from adaptcls.apis.validation_analysis import ANALYSIS_JSON
from adaptcls.deployment.benchmark.benchmark_report import BENCHMARK_JSON, BENCHMARK_PNG
from adaptcls.deployment.export.export_files import EXPORT_JSON
from adaptcls.engine.hooks.run_summary_hook import SUMMARY_FILE
from adaptcls.errors import UserInputError
from adaptcls.utils.atomic import atomic_write_text
from .delivery import ANALYSIS_DIR, CONFUSION_MATRIX_PNG, EVALUATION_FILE, EXPORT_DIR
from .markdown_report import LR_SEARCH_PNG, TRAINING_CURVES_PNG

REPORT_HTML = 'report.html'
"""The page's name in the work dir."""
RUN_FILES = dict(
    summary=SUMMARY_FILE,  # RunSummaryHook: best metrics, epochs, stop reason, LR search, LR drops
    lr_search=osp.join(osp.dirname(LR_SEARCH_PNG), 'result.json'),  # the LR estimate's result
    lr_search_png=LR_SEARCH_PNG,
    training_curves_png=TRAINING_CURVES_PNG,
    evaluation=EVALUATION_FILE,  # the re-evaluation of the best checkpoint (train --export, tools/test.py --out)
    confusion_matrix_png=CONFUSION_MATRIX_PNG,
    analysis=osp.join(ANALYSIS_DIR, ANALYSIS_JSON),  # tools/test.py --analyze: per-class table, errors, label issues
    calibration=osp.join(CALIBRATION_DIR, CALIBRATION_JSON),  # adaptcls calibrate: temperature, ECE before and after
    export=osp.join(EXPORT_DIR, EXPORT_JSON),  # tools/deploy.py export
    benchmark=osp.join(EXPORT_DIR, BENCHMARK_JSON),  # tools/deploy.py benchmark
    benchmark_png=osp.join(EXPORT_DIR, BENCHMARK_PNG),
)
"""What the page reads, relative to the work dir."""
SECTIONS = (('data', 'Data'), ('lr-estimate', 'Learning-rate estimate'), ('training', 'Training'),
            ('metrics', 'Metrics'), ('confusion', 'Confusion matrix'), ('per-class', 'Per-class precision, recall, F1'),
            ('errors', 'Most confidently wrong validation images'), ('label-issues', 'Suspected label issues'),
            ('calibration', 'Calibration'), ('deployment', 'Deployment'))
"""(anchor, heading) of every section, in page order; every heading is on every page."""
ANALYZE_HINT = ('not computed: <code>adaptcls train --export</code> or <code>adaptcls test CONFIG CHECKPOINT --analyze '
                'WORK_DIR/analysis</code> writes it.')
"""What a page without the analysis says."""
LABEL_ISSUES_SHOWN = 50
"""Suspects listed (analysis.json keeps them all)."""
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
nav a{margin-right:.8em;white-space:nowrap} table{border-collapse:collapse;margin:.8em 0}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right} th{background:#f3f3f3}
td.text,th.text{text-align:left} img.plot{max-width:100%;border:1px solid #eee}
.gallery{display:flex;flex-wrap:wrap;gap:.8em} figure{margin:0;width:180px;font-size:.85em}
figure img{width:180px;image-rendering:pixelated} .missing{color:#777;font-style:italic} code{background:#f3f3f3}
"""
"""The page's only style sheet (inline)."""


def write_html_report(work_dir: str) -> str:
    """Writes ``WORK_DIR/report.html`` (atomically) from the run's files; returns its path.

    Raises:
        UserInputError: ``work_dir`` holds no summary.json (not a finished training run).
    """
    run = RunFiles(work_dir)
    summary = run.json('summary')
    if summary is None:
        raise UserInputError(f'{work_dir} is not a finished training run: it has no {RUN_FILES["summary"]} (give the '
                             'work dir of `adaptcls train`, the folder that holds summary.json and best.pth).')
    builders: Dict[str, Callable[[RunFiles, dict], str]] = {
        'data': _data, 'lr-estimate': _lr_estimate, 'training': _training, 'metrics': _metrics,
        'confusion': _confusion, 'per-class': _per_class, 'errors': _errors, 'label-issues': _label_issues,
        'calibration': _calibration, 'deployment': _deployment}
    body = [_header(run, summary)]
    body += [f'<section id="{anchor}"><h2>{heading}</h2>\n{builders[anchor](run, summary)}\n</section>'
             for anchor, heading in SECTIONS]
    page = ('<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<title>adaptcls report: {_e(_run_name(summary, work_dir))}</title><style>{STYLE}</style></head>\n'
            '<body>\n' + '\n'.join(body) + '\n</body></html>\n')
    path = osp.join(work_dir, REPORT_HTML)
    atomic_write_text(path, page)
    return path


class RunFiles:
    """Reads the run's files (:data:`RUN_FILES`) from its work dir; a missing file reads as None.

    Args:
        work_dir (str): the run's work dir.
    """

    def __init__(self, work_dir: str) -> None:
        self.work_dir = work_dir
        self._read: Dict[str, Optional[dict]] = {}

    def path(self, key: str) -> str:
        """The absolute path of file ``key``."""
        return osp.join(self.work_dir, RUN_FILES[key])

    def json(self, key: str) -> Optional[dict]:
        """The JSON object of file ``key``, or None when the file does not exist (each file read once)."""
        from adaptcls.utils.json_files import read_json_object
        if key not in self._read:
            path = self.path(key)
            fix = 'run the step that writes it again'
            self._read[key] = read_json_object(path, fix=fix) if osp.isfile(path) else None
        return self._read[key]

    def image(self, key_or_path: str, alt: str, css: str = 'plot') -> str:
        """An ``<img>`` with the PNG embedded, or a note that the plot is missing."""
        path = self.path(key_or_path) if key_or_path in RUN_FILES else key_or_path
        if not osp.isfile(path):
            return _missing(f'no plot ({_e(osp.relpath(path, self.work_dir))} is missing)')
        with open(path, 'rb') as stream:
            data = base64.b64encode(stream.read()).decode('ascii')
        return f'<img class="{css}" alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _header(run: RunFiles, summary: dict) -> str:
    metrics = _best_metrics(run, summary)
    nav = ' '.join(f'<a href="#{anchor}">{heading}</a>' for anchor, heading in SECTIONS)
    return (f'<header><h1>{_e(_run_name(summary, run.work_dir))}: val top-1 {_f(metrics.get("top1"))}</h1>\n'
            f'<p>Config <code>{_e(summary.get("config"))}</code>; {summary.get("num_classes")} classes; seed '
            f'{summary.get("seed")}; work dir <code>{_e(run.work_dir)}</code>.</p>\n<nav>{nav}</nav></header>')


def _data(run: RunFiles, summary: dict) -> str:
    from adaptcls.datasets.data_split import SPLIT_DIR, read_split
    search = run.json('lr_search') or {}
    evaluation = run.json('evaluation') or {}
    parts = [f'<p>Classes: {_e(", ".join(map(str, summary.get("classes") or [])))}.</p>']
    counts = []
    if search.get('train_images'):
        counts.append(f'{search["train_images"]} training images')
    if evaluation.get('num_images'):
        counts.append(f'{evaluation["num_images"]} validation images')
    if counts:
        parts.append(f'<p>{" and ".join(counts)}.</p>')
    split = read_split(osp.join(run.work_dir, SPLIT_DIR))
    if split:
        parts.append(f'<p>No validation folder: <code>{_e(split["image_root"])}</code> was split (val_fraction '
                     f'{split["val_fraction"]}, seed {split["seed"]}, stratified); the lists are in '
                     f'<code>{SPLIT_DIR}/</code>.</p>')
    if summary.get('skipped_images'):
        parts.append(f'<p>Unreadable images left out: {_e(summary["skipped_images"])}.</p>')
    return '\n'.join(parts)


def _lr_estimate(run: RunFiles, summary: dict) -> str:
    search = summary.get('lr_search')
    if not search:
        return '<p>The run trained at the config\'s learning rate (no LR search).</p>'
    result = run.json('lr_search') or {}
    text = (f'<p>Initial learning rate <b>{search["chosen_lr"]:g}</b>, chosen by the {_e(search["mode"])} search in '
            f'{search.get("total_trained_epochs", 0):.1f} epochs of training ({search.get("wall_time_s", 0):.0f} s).')
    if search.get('clipped'):
        text += (f' Its suggestion {search["suggested_lr"]:g} lay {search["clipped"]} the configured range '
                 f'{_e(result.get("lr_range"))} and was clipped.')
    if search.get('stopped_for_time'):
        text += f' It stopped for time: {_e(search["stopped_for_time"])}.'
    return text + '</p>\n' + run.image('lr_search_png', 'LR search curve')


def _training(run: RunFiles, summary: dict) -> str:
    metrics = summary.get('best_metrics') or {}
    why = 'stopped early' if summary.get('stopped_early') else 'ran all its epochs'
    table = _table(('best val top-1', 'mAP', 'best epoch', 'epochs run', 'why it stopped', 'training time'),
                   [(_f(metrics.get('top1')), _f(metrics.get('mAP')), summary.get('best_epoch'),
                     f'{summary.get("epochs_run")} of {summary.get("max_epochs")}',
                     f'{why}: {summary.get("stop_reason")}', f'{summary.get("wall_time_s", 0):.0f} s')],
                   text_columns=(4,))
    drops = summary.get('lr_drops') or []
    drop_text = ''.join(f'<li>after epoch {drop["epoch"]}: {_e(drop.get("reason"))}</li>' for drop in drops)
    return (table + (f'<p>Learning-rate drops:</p><ul>{drop_text}</ul>' if drops else '')
            + run.image('training_curves_png', 'training curves'))


def _metrics(run: RunFiles, summary: dict) -> str:
    evaluation = run.json('evaluation')
    if not evaluation:
        metrics = summary.get('best_metrics') or {}
        return (_table(tuple(metrics), [tuple(_f(value) for value in metrics.values())])
                + '<p>As validated during training (best epoch). The re-evaluation is written by '
                '<code>adaptcls train --export</code>.</p>')
    metrics = evaluation.get('metrics') or {}
    return (_table(tuple(metrics), [tuple(_f(value) for value in metrics.values())])
            + f'<p>The best checkpoint evaluated again on {evaluation.get("num_images")} validation images.</p>')


def _confusion(run: RunFiles, summary: dict) -> str:
    if not osp.isfile(run.path('confusion_matrix_png')):
        return _missing('not computed: <code>adaptcls train --export</code> or <code>adaptcls test CONFIG CHECKPOINT '
                        '--confusion-matrix</code> writes it.')
    return '<p>Rows: true class; colours: share of the row.</p>' + run.image('confusion_matrix_png', 'confusion matrix')


def _per_class(run: RunFiles, summary: dict) -> str:
    analysis = run.json('analysis')
    if not analysis:
        return _missing(ANALYZE_HINT)
    rows = [(row['class'], _f(row['precision']), _f(row['recall']), _f(row['f1']), row['support'])
            for row in analysis.get('per_class') or []]
    pairs = [(pair['true'], pair['predicted'], pair['count'], f'{pair["share"] * 100:.1f}%')
             for pair in analysis.get('confused_pairs') or []]
    return (_table(('class', 'precision', 'recall', 'F1', 'images'), rows, text_columns=(0,))
            + '<p>Most confused pairs:</p>'
            + (_table(('true class', 'predicted as', 'images', 'share of the true class'), pairs, text_columns=(0, 1))
               if pairs else '<p>none: no validation image was misclassified.</p>'))


def _errors(run: RunFiles, summary: dict) -> str:
    analysis = run.json('analysis')
    if not analysis:
        return _missing(ANALYZE_HINT)
    wrong = analysis.get('confidently_wrong') or []
    if not wrong:
        return '<p>No validation image was misclassified.</p>'
    folder = osp.dirname(run.path('analysis'))
    figures = [f'<figure>{run.image(osp.join(folder, item["saliency_png"]), item["path"], css="thumb")}<figcaption>'
               f'<b>{_e(item["predicted"])}</b> {item["probability"]:.2f}, labelled {_e(item["true"])}<br>'
               f'<code>{_e(osp.basename(item["path"]))}</code></figcaption></figure>' for item in wrong]
    return ('<p>The validation images the model got wrong with the highest probability for its wrong class (the '
            'checkpoint\'s probability, before calibration), with the Grad-CAM map of that class over the image (red: '
            'where the model looked).</p>'
            f'<div class="gallery">{"".join(figures)}</div>')


def _label_issues(run: RunFiles, summary: dict) -> str:
    analysis = run.json('analysis')
    if not analysis:
        return _missing(ANALYZE_HINT)
    issues = analysis.get('label_issues') or {}
    method = issues.get('method', '')
    parts = [f'<p>Method: {_e(method)}.</p>'] if method else []
    if issues.get('skipped'):
        parts.append(f'<p>Not searched: {_e(issues["skipped"])}.</p>')
    suspects = issues.get('suspects') or []
    counts = issues.get('counts') or {}
    parts.append(f'<p>{counts.get("train", 0)} suspect(s) among the training images, {counts.get("val", 0)} among '
                 f'the validation images{"; most likely first:" if suspects else "."}</p>')
    if suspects:
        parts.append(_table(('split', 'image', 'given label', 'suggested label', 'label quality'),
                            [(item['split'], item['path'], item['given'], item['suggested'], _f(item['score']))
                             for item in suspects[:LABEL_ISSUES_SHOWN]], text_columns=(0, 1, 2, 3)))
    return '\n'.join(parts)


def _calibration(run: RunFiles, summary: dict) -> str:
    calibration = run.json('calibration')
    if not calibration:
        return _missing('not computed: <code>adaptcls train --export</code> or <code>adaptcls calibrate '
                        'CHECKPOINT</code> fits it.')
    png = osp.join(osp.dirname(run.path('calibration')), calibration.get('reliability_png', ''))
    return (f'<p>Temperature <b>{calibration["temperature"]:.3f}</b> fitted on {calibration.get("images")} validation '
            f'images (stored in the checkpoint, applied inside the exported IR). Expected calibration error '
            f'(ECE, {calibration.get("bins")} bins): {_f(calibration["ece_before"])} before, '
            f'<b>{_f(calibration["ece_after"])}</b> after. Top-1 is unchanged by a temperature.</p>'
            + run.image(png, 'reliability diagram'))


def _deployment(run: RunFiles, summary: dict) -> str:
    export = run.json('export')
    if not export:
        return _missing('not exported: <code>adaptcls train --export</code> or <code>adaptcls export CONFIG '
                        'CHECKPOINT</code> writes it.')
    size = (export.get('input') or {}).get('size') or ['?', '?']
    complexity = export.get('complexity') or {}
    parts = [f'<p>Input <b>{size[0]} x {size[1]} px</b> (the size the model was validated at); files in '
             f'<code>export/</code>: {_e(", ".join(export.get("files") or []))}; {complexity.get("params", 0):,} '
             f'parameters, {complexity.get("gmacs", 0):.4f} GMACs.</p>']
    int8 = export.get('int8')
    if int8:
        parts.append(f'<p>Val top-1 on {int8["val_images"]} images: FP32 IR {_f(int8["fp32_top1"])}, INT8 IR '
                     f'{_f(int8["int8_top1"])}.</p>')
    benchmark = run.json('benchmark')
    if benchmark:
        settings, host = benchmark.get('settings') or {}, benchmark.get('host') or {}
        parts.append(f'<p>Latency on {_e(host.get("processor"))}, {settings.get("threads")} threads, batch '
                     f'{settings.get("batch")}:</p>')
        parts.append(_table(('backend', 'precision', 'median ms', 'p90 ms', 'images/s'),
                            [(row['name'], row['precision'], f'{row["median_ms"]:.3f}', f'{row["p90_ms"]:.3f}',
                              f'{row["throughput_ips"]:.1f}') for row in benchmark.get('backends') or []],
                            text_columns=(0, 1)))
        parts.append(run.image('benchmark_png', 'latency per backend'))
    return '\n'.join(parts)


def _best_metrics(run: RunFiles, summary: dict) -> dict:
    """The re-evaluation's metrics when there is one (the same checkpoint, checked equal within one image), else
    training's best: one top-1 per page."""
    evaluation = run.json('evaluation') or {}
    return evaluation.get('metrics') or summary.get('best_metrics') or {}


def _run_name(summary: dict, work_dir: str) -> str:
    return osp.splitext(osp.basename(summary.get('config') or ''))[0] or osp.basename(osp.abspath(work_dir))


def _table(header: Sequence[str], rows: Iterable[Sequence], text_columns: Sequence[int] = ()) -> str:
    def cell(tag: str, index: int, value) -> str:
        css = ' class="text"' if index in text_columns else ''
        return f'<{tag}{css}>{_e(value)}</{tag}>'
    lines: List[str] = ['<table><tr>' + ''.join(cell('th', i, name) for i, name in enumerate(header)) + '</tr>']
    lines += ['<tr>' + ''.join(cell('td', i, value) for i, value in enumerate(row)) + '</tr>' for row in rows]
    return '\n'.join(lines) + '</table>'


def _missing(text: str) -> str:
    return f'<p class="missing">{text}</p>'


def _e(value) -> str:
    return html.escape('' if value is None else str(value))


def _f(value) -> str:
    return 'n/a' if value is None else f'{value:.4f}'

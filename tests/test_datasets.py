"""The data of the model kinds (models/datasets.py): the RNN corpus's windows, and training batches
that walk the data exactly as the page's cursor does."""
import numpy as np
import pytest

from webdlbench.models import corpus, datasets, kinds, mnist


def test_corpus_windows_are_one_hot_characters_and_the_next_one():
    text, vocab = corpus.load_text(), corpus.vocabulary()
    assert len(text) == corpus.CORPUS_CHARS and vocab == "".join(sorted(set(text))) and len(vocab) <= 256
    x, y = corpus.windows([0, 5])
    assert x.shape == (2, corpus.SEQUENCE_LENGTH, len(vocab)) and x.dtype == np.float32
    assert (x.sum(axis=2) == 1).all()
    start = 5 * corpus.STEP
    decoded = "".join(vocab[i] for i in x[1].argmax(axis=1))
    assert decoded == text[start:start + corpus.SEQUENCE_LENGTH]
    assert vocab[y[1]] == text[start + corpus.SEQUENCE_LENGTH]
    # The reference windows are held out: none of them is a training window.
    assert corpus.train_windows() + corpus.REFERENCE_COUNT == corpus.window_count()
    assert corpus.reference_inputs().shape == (corpus.REFERENCE_COUNT, corpus.SEQUENCE_LENGTH, len(vocab))


def test_training_batches_walk_the_data_like_the_pages_cursor():
    lstm, cnn = kinds.get("lstm"), kinds.get("cnn")
    x, y = datasets.training_batch(lstm, 4, 2)  # windows 8..11
    want_x, want_y = corpus.windows(range(8, 12))
    assert np.array_equal(x, want_x) and np.array_equal(y, want_y)
    wrap = corpus.train_windows() // 4  # the batch that crosses the end of the training windows
    _, labels = datasets.training_batch(lstm, 4, wrap)
    indices = (np.arange(4) + wrap * 4) % corpus.train_windows()
    assert np.array_equal(labels, corpus.windows(indices)[1])
    images, digits = datasets.training_batch(cnn, 3, 1)
    all_x, all_y = mnist.load_digits()
    assert images.shape == (3, 28, 28, 1) and np.array_equal(images.reshape(3, 784), all_x[3:6])
    assert np.array_equal(digits, all_y[3:6])
    with pytest.raises(ValueError, match="inference only"):
        datasets.training_batch(kinds.get("keras:VGG16"), 1, 0)


def test_a_kinds_page_data_comes_from_its_data(tmp_path):
    text = datasets.page_data(kinds.get("lstm"), tmp_path)
    assert text["kind"] == "text" and text["tokens"].startswith("/data/") and (tmp_path / text["tokens"][6:]).is_file()
    assert text["vocabulary"] == len(corpus.vocabulary()) and text["train_count"] == corpus.train_windows()
    assert datasets.page_data(kinds.get("cnn"), tmp_path) == {} == datasets.page_data(kinds.get("keras:VGG16"), tmp_path)

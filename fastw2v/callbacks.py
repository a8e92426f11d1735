"""Training callbacks, with gensim's ``CallbackAny2Vec`` interface."""


class CallbackAny2Vec:
    """Base class for training callbacks; override the hooks you need.

    ``on_train_begin`` / ``on_train_end`` run once per ``train()`` call and
    ``on_epoch_begin`` / ``on_epoch_end`` once per epoch, in the thread that called
    ``train()``, while no kernel is running (so reading or saving the model there
    is safe). ``on_batch_begin`` / ``on_batch_end`` exist for gensim compatibility
    but are not called: batches run inside nogil kernels, without Python.
    """

    def on_epoch_begin(self, model):
        """Called at the start of each epoch."""

    def on_epoch_end(self, model):
        """Called at the end of each epoch."""

    def on_batch_begin(self, model):
        """Not called by fastw2v (kept for gensim compatibility)."""

    def on_batch_end(self, model):
        """Not called by fastw2v (kept for gensim compatibility)."""

    def on_train_begin(self, model):
        """Called at the start of each ``train()`` call."""

    def on_train_end(self, model):
        """Called at the end of each ``train()`` call."""

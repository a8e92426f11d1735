"""Small pieces that make fastw2v's classes behave as gensim's where that takes code."""

__all__ = ["class_only_method"]


class class_only_method(classmethod):
    """A classmethod that refuses to be called on an instance (gensim's ``load``).

    ``model.load(path)`` reads as if it loaded into ``model`` but would return a new
    object; gensim raises AttributeError there, and so does fastw2v.
    """

    def __get__(self, instance, owner=None):
        if instance is not None:
            name = owner.__name__
            raise AttributeError(f"{name}.load is called on the class, not on an instance: "
                                 f"obj = {name}.load(path)")
        return super().__get__(instance, owner)

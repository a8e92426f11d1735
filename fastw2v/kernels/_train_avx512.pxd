include "_train_decl.pxi"

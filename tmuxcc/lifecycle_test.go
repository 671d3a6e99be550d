package tmuxcc

func dialerHelper() {}

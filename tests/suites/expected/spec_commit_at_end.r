kept in BEGIN, printed at END


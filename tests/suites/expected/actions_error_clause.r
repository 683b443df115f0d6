first
ERROR probe 1 clause 2 fault 4 addr 0 divzero 1
end


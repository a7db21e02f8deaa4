-- Rule: for every delivery, rows landed = accepted + quarantined + superseded, exactly, and a
-- file quarantined as a whole has no accepted rows. Nothing a client sent is lost.
select *
from {{ ref('fct_file_reconciliation') }}
where
    rows_landed != rows_accepted + rows_quarantined + rows_superseded
    or (file_status = 'quarantined' and rows_accepted > 0)

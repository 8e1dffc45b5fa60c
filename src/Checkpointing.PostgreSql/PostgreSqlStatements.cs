namespace Checkpointing.PostgreSql;

/// <summary>
/// The SQL of every operation, for one schema. Each write is ONE statement (data-modifying CTEs), so it is atomic without
/// a client-held transaction: a worker frozen between two round trips never holds a row lock.
/// </summary>
/// <remarks>
/// Every write is fenced. A lease holder's write matches only while the card's <c>fencing_token</c> and <c>owner_id</c> are
/// its own, and extends the lease. A write without ownership matches only while no lease is valid
/// (<c>lease_expires_at</c> passed on the database clock, or no owner), and moves the token on, so the holder of an
/// expired lease can no longer write or renew.
/// </remarks>
internal sealed class PostgreSqlStatements
{
    public PostgreSqlStatements(PostgreSqlSchema schema)
    {
        var t = schema.Checkpoints;
        var c = schema.Changes;
        var d = schema.Documents;

        var k = schema.DocumentChunks;

        // One statement, so one snapshot: the card's row, its document (one json row, or the bytea chunks of a fold, in
        // order) and the change rows after it are read as of the same moment. Column "part": 0 the row, 1 a chunk, 2 a change.
        Load = $"""
            SELECT 0 AS part, 0::bigint AS seq, c.version, c.document_version, d.document, NULL::bytea AS data, NULL::json AS change,
                   (c.owner_id IS NOT NULL AND c.lease_expires_at > now()) AS leased, c.document_generation, c.document_chunks, c.document_bytes
            FROM {t} c LEFT JOIN {d} d ON d.card_id = c.card_id AND d.generation = c.document_generation AND c.document_chunks = 0
            WHERE c.card_id = @card AND c.document_generation IS NOT NULL
            UNION ALL
            SELECT 1, k.chunk, NULL, NULL, NULL, k.data, NULL, NULL, NULL, NULL, NULL
            FROM {k} k JOIN {t} c ON c.card_id = k.card_id AND k.generation = c.document_generation
            WHERE k.card_id = @card AND c.document_chunks > 0
            UNION ALL
            SELECT 2, ch.version, NULL, NULL, NULL, NULL, ch.change, NULL, NULL, NULL, NULL
            FROM {c} ch JOIN {t} c ON c.card_id = ch.card_id
            WHERE ch.card_id = @card AND c.document_generation IS NOT NULL AND ch.version > c.document_version
            ORDER BY part, seq
            """;
        Exists = $"SELECT EXISTS (SELECT 1 FROM {t} WHERE card_id = @card AND document_generation IS NOT NULL)";
        List = $"SELECT card_id FROM {t} WHERE document_generation IS NOT NULL";
        Inspect = $"""
            SELECT version, fencing_token, owner_id, (owner_id IS NOT NULL AND lease_expires_at > now()) AS leased,
                   document_generation IS NOT NULL AS has_document, lease_expires_at, document_generation, document_bytes, changes_bytes
            FROM {t} WHERE card_id = @card
            """;

        SaveOwned = Save(t, c, d, k, Owned);
        SaveUnowned = Save(t, c, d, k, Unowned);
        InsertFirst = $"""
            WITH ins AS (
                INSERT INTO {t} (card_id, version, status, document_generation, document_version, document_bytes, changes_bytes, fencing_token)
                VALUES (@card, @version, @status, @generation, @version, @document_bytes, 0, 1)
                ON CONFLICT (card_id) DO NOTHING
                RETURNING card_id
            ), doc AS (
                INSERT INTO {d} (card_id, generation, document) SELECT card_id, @generation, @document FROM ins
            )
            SELECT count(*) FROM ins
            """;
        ImportOwned = Import(t, c, d, k, Owned);
        ImportUnowned = Import(t, c, d, k, Unowned);
        SaveChangeOwned = SaveChange(t, c, Owned);
        SaveChangeUnowned = SaveChange(t, c, Unowned);
        WriteFoldChunk = $"INSERT INTO {k} (card_id, generation, chunk, data) VALUES (@card, @generation, @chunk, @data)";
        RemoveFoldChunks = $"DELETE FROM {k} WHERE card_id = @card AND generation = @generation";
        SwitchFoldOwned = SwitchFold(t, c, d, k, Owned);
        SwitchFoldUnowned = SwitchFold(t, c, d, k, Unowned);
        DeleteOwned = Delete(t, c, d, k, Owned);
        DeleteUnowned = Delete(t, c, d, k, Unowned);

        Acquire = $"""
            INSERT INTO {t} AS c (card_id, version, document_version, fencing_token, owner_id, lease_expires_at)
            VALUES (@card, 0, 0, 1, @worker, now() + @lease)
            ON CONFLICT (card_id) DO UPDATE
                SET fencing_token = c.fencing_token + 1, owner_id = excluded.owner_id, lease_expires_at = excluded.lease_expires_at
                WHERE c.owner_id IS NULL OR c.lease_expires_at <= now()
            RETURNING c.fencing_token, c.lease_expires_at
            """;
        // Abandoned cards (a lease that expired: their worker crashed or froze mid-run) come first, then the least recently
        // updated; the partial index checkpoints_claimable serves this order.
        ClaimNext = $"""
            UPDATE {t} c SET fencing_token = c.fencing_token + 1, owner_id = @worker, lease_expires_at = now() + @lease
            FROM (
                SELECT card_id FROM {t}
                WHERE document_generation IS NOT NULL AND status IN {PostgreSqlSchema.ResumableStatuses}
                  AND (owner_id IS NULL OR lease_expires_at <= now())
                  AND card_id <> ALL (@held)
                ORDER BY (owner_id IS NULL), updated_at, card_id
                LIMIT 1
                FOR UPDATE SKIP LOCKED
            ) next
            WHERE c.card_id = next.card_id
            RETURNING c.card_id, c.fencing_token, c.lease_expires_at
            """;
        Renew = $"""
            UPDATE {t} SET lease_expires_at = now() + @lease
            WHERE card_id = @card AND fencing_token = @token AND owner_id = @worker
            RETURNING lease_expires_at
            """;
        Release = $"""
            UPDATE {t} SET owner_id = NULL, lease_expires_at = NULL
            WHERE card_id = @card AND fencing_token = @token AND owner_id = @worker
            """;
    }

    public string Load { get; }

    public string Exists { get; }

    public string List { get; }

    /// <summary>Gets the query that explains why a fenced write matched no row.</summary>
    public string Inspect { get; }

    public string SaveOwned { get; }

    public string SaveUnowned { get; }

    /// <summary>Gets the insert of a card's first row by a write without ownership (version 1).</summary>
    public string InsertFirst { get; }

    /// <summary>Gets the replacement of a card's document by one at any version, when <c>@expected</c> is stored (null: no document).</summary>
    public string ImportOwned { get; }

    /// <summary>Gets <see cref="ImportOwned"/> for a write without ownership.</summary>
    public string ImportUnowned { get; }

    /// <summary>Gets the fenced insert of a change row; returns whether a fold is due, the card's document generation and its change rows' bytes (no row: refused).</summary>
    public string SaveChangeOwned { get; }

    public string SaveChangeUnowned { get; }

    /// <summary>Gets the insert of one chunk of a fold's new document, a generation the card's row does not name yet (no lock on the row).</summary>
    public string WriteFoldChunk { get; }

    /// <summary>Gets the delete of a dropped fold's chunks.</summary>
    public string RemoveFoldChunks { get; }

    /// <summary>Gets the fenced switch of a card to a fold's document, if the card still has the document the fold read (<c>@from</c>) and all of the fold's <c>@chunks</c> are there.</summary>
    public string SwitchFoldOwned { get; }

    /// <summary>Gets <see cref="SwitchFoldOwned"/> for a write without ownership.</summary>
    public string SwitchFoldUnowned { get; }

    public string DeleteOwned { get; }

    public string DeleteUnowned { get; }

    public string Acquire { get; }

    public string ClaimNext { get; }

    public string Renew { get; }

    public string Release { get; }

    private static Fence Owned => new(
        "fencing_token = @token AND owner_id = @worker",
        "lease_expires_at = greatest(lease_expires_at, now() + @lease)");

    private static Fence Unowned => new(
        "(owner_id IS NULL OR lease_expires_at <= now())",
        "fencing_token = fencing_token + 1, owner_id = NULL, lease_expires_at = NULL");

    private static string Save(string t, string c, string d, string k, Fence fence) =>
        ReplaceDocument(t, c, d, k, fence, "version = @version - 1");

    private static string Import(string t, string c, string d, string k, Fence fence) =>
        ReplaceDocument(
            t, c, d, k, fence, "CASE WHEN @expected IS NULL THEN document_generation IS NULL ELSE document_generation IS NOT NULL AND version = @expected END");

    // A whole document: a new generation (one json row) replaces every other, chunked or not (a running fold's too: its switch
    // is then refused), and the change rows.
    private static string ReplaceDocument(string t, string c, string d, string k, Fence fence, string condition) => $"""
        WITH upd AS (
            UPDATE {t} SET version = @version, status = @status, document_generation = @generation, document_chunks = 0, document_version = @version,
                document_bytes = @document_bytes, changes_bytes = 0, updated_at = now(),
                created_at = CASE WHEN document_generation IS NULL THEN now() ELSE created_at END, {fence.Set}
            WHERE card_id = @card AND {condition} AND {fence.Where}
            RETURNING card_id
        ), doc AS (
            INSERT INTO {d} (card_id, generation, document) SELECT card_id, @generation, @document FROM upd
        ), old AS (
            DELETE FROM {d} dd USING upd WHERE dd.card_id = upd.card_id AND dd.generation <> @generation
        ), chunks AS (
            DELETE FROM {k} kk USING upd WHERE kk.card_id = upd.card_id
        ), del AS (
            DELETE FROM {c} ch USING upd WHERE ch.card_id = upd.card_id
        )
        SELECT count(*) FROM upd
        """;

    private static string SaveChange(string t, string c, Fence fence) => $"""
        WITH upd AS (
            UPDATE {t} SET version = @version, status = @status, changes_bytes = changes_bytes + @change_bytes, updated_at = now(), {fence.Set}
            WHERE card_id = @card AND version = @version - 1 AND document_generation IS NOT NULL AND {fence.Where}
            RETURNING card_id, changes_bytes > coalesce(@threshold, greatest(document_bytes, @min_compaction)) AS compact, document_generation, changes_bytes
        ), ins AS (
            INSERT INTO {c} (card_id, version, kind, stage_name, change)
            SELECT card_id, @version, @kind, @stage, @change FROM upd
        )
        SELECT compact, document_generation, changes_bytes FROM upd
        """;

    // Change rows saved during the fold have later versions: they stay, and so do their bytes in changes_bytes. The count makes
    // sure every chunk is there (a concurrent fold's switch, a whole save or a delete removes other generations' chunks, but
    // also moves document_generation on, so @from alone refuses those; the count is the belt to those braces).
    private static string SwitchFold(string t, string c, string d, string k, Fence fence) => $"""
        WITH upd AS (
            UPDATE {t} SET document_generation = @generation, document_chunks = @chunks, document_version = @version, document_bytes = @document_bytes,
                changes_bytes = greatest(changes_bytes - @folded_bytes, 0), {fence.Set}
            WHERE card_id = @card AND document_generation = @from AND {fence.Where}
              AND (SELECT count(*) FROM {k} WHERE card_id = @card AND generation = @generation) = @chunks
            RETURNING card_id
        ), del AS (
            DELETE FROM {c} ch USING upd WHERE ch.card_id = upd.card_id AND ch.version <= @version
        ), old AS (
            DELETE FROM {d} dd USING upd WHERE dd.card_id = upd.card_id
        ), chunks AS (
            DELETE FROM {k} kk USING upd WHERE kk.card_id = upd.card_id AND kk.generation <> @generation
        )
        SELECT count(*) FROM upd
        """;

    // The self-join locks the row and reads whether a document existed before the update clears it.
    private static string Delete(string t, string c, string d, string k, Fence fence) => $"""
        WITH upd AS (
            UPDATE {t} c SET version = 0, status = NULL, document_generation = NULL, document_chunks = 0, document_version = 0, document_bytes = 0, changes_bytes = 0,
                updated_at = now(), {fence.Set}
            FROM (SELECT card_id, document_generation IS NOT NULL AS existed FROM {t} WHERE card_id = @card FOR UPDATE) old
            WHERE c.card_id = old.card_id AND {fence.Where}
            RETURNING c.card_id, old.existed
        ), del AS (
            DELETE FROM {c} ch USING upd WHERE ch.card_id = upd.card_id
        ), docs AS (
            DELETE FROM {d} dd USING upd WHERE dd.card_id = upd.card_id
        ), chunks AS (
            DELETE FROM {k} kk USING upd WHERE kk.card_id = upd.card_id
        )
        SELECT existed FROM upd
        """;

    private readonly record struct Fence(string Where, string Set);
}

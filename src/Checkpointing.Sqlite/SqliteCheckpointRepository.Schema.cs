using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Checkpointing.Sqlite;

public sealed partial class SqliteCheckpointRepository
{
    private async Task EnsureSchemaAsync(CancellationToken cancellationToken)
    {
        if (_schemaReady)
        {
            return;
        }

        await _schemaGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_schemaReady)
            {
                return;
            }

            var connection = await OpenRawConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                if (!_readOnly)
                {
                    using var wal = connection.CreateCommand();
                    wal.CommandText = "PRAGMA journal_mode = WAL";
                    var mode = Convert.ToString(await wal.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) ?? "?";
                    if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                    {
                        SqliteLog.NotWal(_logger, DatabasePath, mode);
                    }
                }

                var (from, to) = await SqliteSchema.MigrateAsync(
                    connection, DatabasePath, SqliteSchema.CurrentVersion, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
                if (from != to)
                {
                    SqliteLog.SchemaMigrated(_logger, DatabasePath, from, to);
                }
            }

            _schemaReady = true;
        }
        catch (SqliteException ex)
        {
            throw SqliteErrors.Translate(ex, DatabasePath);
        }
        finally
        {
            _schemaGate.Release();
        }
    }
}

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

            CreateDatabaseFilePrivately();
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

    /// <summary>
    /// Creates a missing database file empty with mode 0600 on Unix before SQLite creates it with 0644: prompts and answers
    /// can hold secrets. SQLite gives the <c>-wal</c> and <c>-shm</c> files it creates the mode of the database file. An
    /// existing file keeps its mode.
    /// </summary>
    private void CreateDatabaseFilePrivately()
    {
        if (!_createsFile || OperatingSystem.IsWindows() || File.Exists(DatabasePath))
        {
            return;
        }

        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            using var created = new FileStream(DatabasePath, options);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Created meanwhile by another process, or the directory is missing or closed to us: SQLite opens the file or says why.
        }
    }
}

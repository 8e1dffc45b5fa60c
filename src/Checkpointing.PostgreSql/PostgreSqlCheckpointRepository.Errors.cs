using System.Net.Sockets;
using Npgsql;

namespace Checkpointing.PostgreSql;

public sealed partial class PostgreSqlCheckpointRepository
{
    private async Task<T> GuardAsync<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new CheckpointStorePermissionException(_schema.Name, _user, ex);
        }
        catch (PostgresException ex) when (IsConnectionFailure(ex.SqlState))
        {
            throw new CheckpointStoreUnavailableException(_host, _port, _database, ex);
        }
        catch (PostgresException ex)
        {
            throw new CheckpointException(
                $"The PostgreSQL checkpoint store at {_host}:{_port} (database '{_database}', schema '{_schema.Name}') failed: {ex.SqlState}: {ex.MessageText}", ex);
        }
        catch (NpgsqlException ex)
        {
            // Not a server error: the connection could not be made or broke (refused, DNS, timeout, reset).
            throw new CheckpointStoreUnavailableException(_host, _port, _database, ex);
        }
        catch (SocketException ex)
        {
            throw new CheckpointStoreUnavailableException(_host, _port, _database, ex);
        }
    }

    private static bool IsConnectionFailure(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
        || sqlState.StartsWith("28", StringComparison.Ordinal) // invalid authorization (bad password, no pg_hba entry)
        || sqlState == PostgresErrorCodes.InvalidCatalogName // the database does not exist
        || sqlState == PostgresErrorCodes.TooManyConnections
        || sqlState == PostgresErrorCodes.AdminShutdown
        || sqlState == PostgresErrorCodes.CrashShutdown
        || sqlState == PostgresErrorCodes.CannotConnectNow;
}

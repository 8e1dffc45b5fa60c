using System.Net.Sockets;
using Npgsql;

namespace Checkpointing.PostgreSql;

/// <summary>
/// Turns the driver's and the server's errors into the library's: an unreachable server into
/// <see cref="PostgreSqlStoreUnavailableException"/>, a missing privilege into <see cref="PostgreSqlStorePermissionException"/>
/// (both <see cref="CheckpointStoreUnavailableException"/>s), any other database error into a <see cref="CheckpointException"/>.
/// </summary>
internal sealed class PostgreSqlErrors(string host, int port, string? database, string? user, string schema)
{
    /// <summary>Gets where the store is, for messages: <c>postgresql://host:port/database</c>, never the password.</summary>
    public string Location { get; } = $"postgresql://{host}:{port}/{database}";

    /// <summary>Runs an operation, translating what it throws.</summary>
    public async Task<T> GuardAsync<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new PostgreSqlStorePermissionException(schema, user, ex);
        }
        catch (PostgresException ex) when (IsConnectionFailure(ex.SqlState))
        {
            throw new PostgreSqlStoreUnavailableException(host, port, database, ex);
        }
        catch (PostgresException ex)
        {
            throw new CheckpointException(
                $"The PostgreSQL checkpoint store at {host}:{port} (database '{database}', schema '{schema}') failed: {ex.SqlState}: {ex.MessageText}", ex);
        }
        catch (NpgsqlException ex)
        {
            // Not a server error: the connection could not be made or broke (refused, DNS, timeout, reset).
            throw new PostgreSqlStoreUnavailableException(host, port, database, ex);
        }
        catch (SocketException ex)
        {
            throw new PostgreSqlStoreUnavailableException(host, port, database, ex);
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

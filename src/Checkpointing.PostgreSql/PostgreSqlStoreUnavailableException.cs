namespace Checkpointing.PostgreSql;

/// <summary>
/// The PostgreSQL server cannot be reached or refused the connection (down, wrong host or port, network failure,
/// authentication failed, database missing, or the connection broke mid-operation). The message names the host, port
/// and database, never the password; catch <see cref="CheckpointStoreUnavailableException"/> to handle every store alike. Whether a write that failed this way went in is unknown: load the card again.
/// </summary>
public sealed class PostgreSqlStoreUnavailableException : CheckpointStoreUnavailableException
{
    /// <summary>Initializes a new instance of the <see cref="PostgreSqlStoreUnavailableException"/> class.</summary>
    public PostgreSqlStoreUnavailableException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlStoreUnavailableException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public PostgreSqlStoreUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlStoreUnavailableException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public PostgreSqlStoreUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlStoreUnavailableException"/> class.</summary>
    /// <param name="host">The server's host (or unix socket directory).</param>
    /// <param name="port">The server's port.</param>
    /// <param name="database">The database.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public PostgreSqlStoreUnavailableException(string host, int port, string? database, Exception innerException)
        : base($"postgresql://{host}:{port}/{database}", $"The PostgreSQL checkpoint store at {host}:{port} (database '{database}') is unavailable: {innerException?.Message}", innerException)
    {
        Host = host;
        Port = port;
        Database = database;
    }

    /// <summary>Gets the server's host (or unix socket directory).</summary>
    public string? Host { get; }

    /// <summary>Gets the server's port.</summary>
    public int Port { get; }

    /// <summary>Gets the database.</summary>
    public string? Database { get; }
}

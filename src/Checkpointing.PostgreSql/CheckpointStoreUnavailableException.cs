namespace Checkpointing.PostgreSql;

/// <summary>
/// The PostgreSQL server cannot be reached or refused the connection (down, wrong host or port, network failure,
/// authentication failed, database missing, or the connection broke mid-operation). The message names the host, port
/// and database, never the password. Whether a write that failed this way went in is unknown: load the card again.
/// </summary>
public sealed class CheckpointStoreUnavailableException : CheckpointException
{
    /// <summary>Initializes a new instance of the <see cref="CheckpointStoreUnavailableException"/> class.</summary>
    public CheckpointStoreUnavailableException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointStoreUnavailableException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public CheckpointStoreUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointStoreUnavailableException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointStoreUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CheckpointStoreUnavailableException"/> class.</summary>
    /// <param name="host">The server's host (or unix socket directory).</param>
    /// <param name="port">The server's port.</param>
    /// <param name="database">The database.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public CheckpointStoreUnavailableException(string host, int port, string? database, Exception innerException)
        : base($"The PostgreSQL checkpoint store at {host}:{port} (database '{database}') is unavailable: {innerException?.Message}", innerException)
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

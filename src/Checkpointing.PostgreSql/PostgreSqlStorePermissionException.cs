namespace Checkpointing.PostgreSql;

/// <summary>
/// The database user lacks a privilege the store needs: <c>CREATE</c> on the database to create the schema,
/// <c>USAGE</c>/<c>CREATE</c> on the schema to migrate it, or <c>SELECT</c>/<c>INSERT</c>/<c>UPDATE</c>/<c>DELETE</c> on its
/// tables. The message names the schema, the user and PostgreSQL's own error.
/// </summary>
public sealed class PostgreSqlStorePermissionException : CheckpointStorePermissionException
{
    /// <summary>Initializes a new instance of the <see cref="PostgreSqlStorePermissionException"/> class.</summary>
    public PostgreSqlStorePermissionException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlStorePermissionException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public PostgreSqlStorePermissionException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlStorePermissionException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The error that caused this one.</param>
    public PostgreSqlStorePermissionException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PostgreSqlStorePermissionException"/> class.</summary>
    /// <param name="schema">The schema the store uses.</param>
    /// <param name="user">The database user.</param>
    /// <param name="innerException">PostgreSQL's error.</param>
    public PostgreSqlStorePermissionException(string schema, string? user, Exception innerException)
        : base($"PostgreSQL schema '{schema}'", $"The PostgreSQL user '{user}' lacks a privilege the checkpoint store needs on schema '{schema}': {innerException?.Message}. "
            + $"Grant CREATE on the database (to create the schema), or create schema '{schema}' owned by this user, or grant USAGE on it and "
            + "SELECT, INSERT, UPDATE, DELETE on its tables once a privileged user has migrated it.", innerException)
    {
        Schema = schema;
        User = user;
    }

    /// <summary>Gets the schema the store uses.</summary>
    public string? Schema { get; }

    /// <summary>Gets the database user.</summary>
    public string? User { get; }
}

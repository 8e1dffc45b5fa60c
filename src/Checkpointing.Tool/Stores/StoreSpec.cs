using System.Data.Common;
using Checkpointing.Tool.Cli;

namespace Checkpointing.Tool.Stores;

/// <summary>
/// A store named on the command line: <c>file:&lt;dir&gt;</c>, <c>sqlite:&lt;path&gt;</c> or
/// <c>postgres:&lt;connection string&gt;</c> (an extra <c>Schema=&lt;name&gt;</c> key picks the schema; default
/// <c>checkpointing</c>). Without <c>--store</c>: <c>$CHECKPOINTING_STORE</c>, else the library's default directory
/// (<c>$CHECKPOINT_DIR</c>, else <c>./.checkpoints</c>).
/// </summary>
internal sealed record StoreSpec(StoreKind Kind, string Location, string? Schema)
{
    public const string EnvironmentVariable = "CHECKPOINTING_STORE";

    /// <summary>Gets the store as the user would name it, without a password.</summary>
    public string Display => Kind switch
    {
        StoreKind.File => $"file:{Location}",
        StoreKind.Sqlite => $"sqlite:{Location}",
        _ => $"postgres:{WithoutPassword(Location)}{(Schema is null ? string.Empty : $" (schema {Schema})")}",
    };

    /// <summary>Resolves <paramref name="given"/> (the option's value), the environment, or the default directory.</summary>
    public static StoreSpec Resolve(string? given)
    {
        if (!string.IsNullOrWhiteSpace(given))
        {
            return Parse(given, "--store");
        }

        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { } fromEnvironment && !string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return Parse(fromEnvironment, "$" + EnvironmentVariable);
        }

        return new StoreSpec(StoreKind.File, new CheckpointManagerOptions().ResolveCheckpointDirectory(), null);
    }

    /// <summary>Parses a store name.</summary>
    /// <param name="text">The name.</param>
    /// <param name="from">Where it came from, for the message.</param>
    public static StoreSpec Parse(string text, string from)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var scheme = colon > 0 ? text[..colon].ToUpperInvariant() : string.Empty;
        var rest = colon > 0 ? text[(colon + 1)..] : text;
        switch (scheme)
        {
            case "FILE":
                return new StoreSpec(StoreKind.File, Path.GetFullPath(Require(rest, text, from)), null);
            case "SQLITE":
                return new StoreSpec(StoreKind.Sqlite, Path.GetFullPath(Require(rest, text, from)), null);
            case "POSTGRES" or "POSTGRESQL":
                return ParsePostgres(Require(rest, text, from), from);
            default:
                throw new UsageException(
                    $"{from} '{text}' names no store: use file:<directory>, sqlite:<path> or postgres:<connection string>.");
        }
    }

    private static StoreSpec ParsePostgres(string connectionString, string from)
    {
        var builder = new DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = connectionString;
        }
        catch (ArgumentException ex)
        {
            throw new UsageException($"{from}: the PostgreSQL connection string cannot be read ({ex.Message}); write it as Host=...;Database=...;Username=....", ex);
        }

        string? schema = null;
        if (builder.TryGetValue("Schema", out var value))
        {
            schema = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
            builder.Remove("Schema");
        }

        return new StoreSpec(StoreKind.Postgres, builder.ConnectionString, schema);
    }

    private static string Require(string rest, string text, string from) =>
        string.IsNullOrWhiteSpace(rest)
            ? throw new UsageException($"{from} '{text}' lacks the location after the colon.")
            : rest;

    private static string WithoutPassword(string connectionString)
    {
        var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
        builder.Remove("Password");
        return builder.ConnectionString;
    }
}

namespace Checkpointing.Tool.Stores;

/// <summary>The kinds of store the tool opens.</summary>
internal enum StoreKind
{
    File,
    Sqlite,
    Postgres,
}

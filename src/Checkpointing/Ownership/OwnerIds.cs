using System.Globalization;

namespace Checkpointing.Ownership;

/// <summary>The one format of owner ids every store records: <c>&lt;machine&gt;/&lt;process id&gt;/&lt;32 hex digits&gt;</c>.</summary>
internal static class OwnerIds
{
    /// <summary>Creates an owner id unique to this call.</summary>
    /// <returns>For example <c>build-7/4242/0f8fad5bd9cb469fa16570867728950e</c>.</returns>
    public static string New() =>
        string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}");
}

using System.Collections.ObjectModel;
using System.Text.Json;

namespace Checkpointing.Json;

/// <summary>Tracks the keys of one JSON object as it is read: refuses duplicates and keeps unknown fields in order.</summary>
internal sealed class FieldSet
{
#if !NET9_0_OR_GREATER
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
#endif
    private readonly JsonReadContext _context;
    private readonly string _path;
    private Dictionary<string, JsonElement>? _unknown;

    // Stryker disable once all : on .NET 9 and later the context and path name only a duplicate key, which the parser refuses first
    public FieldSet(in JsonReadContext context, string path)
    {
        _context = context;
        _path = path;
    }

    /// <summary>Gets the unknown fields, in document order.</summary>
    public IReadOnlyDictionary<string, JsonElement> Unknown =>
        _unknown is null ? ReadOnlyDictionary<string, JsonElement>.Empty : _unknown.AsReadOnly();

    /// <summary>Records a key, refusing one seen before in the same object.</summary>
    /// <remarks>On .NET 9 and later the parser already refuses duplicate keys anywhere in the document.</remarks>
#pragma warning disable CA1822 // instance state is used on .NET 8 only
    public void Add(string name)
#pragma warning restore CA1822
    // Stryker disable once all : on .NET 9 and later the body is empty: the parser refuses duplicate keys first
    {
#if NET9_0_OR_GREATER
        _ = name;
#else
        if (!_seen.Add(name))
        {
            throw _context.Corrupt(_path + "." + name, "duplicate key");
        }
#endif
    }

    /// <summary>Keeps a field this library does not interpret, so it can be written back unchanged.</summary>
    public void AddUnknown(string name, JsonElement value)
    {
        if (!(_unknown ??= new Dictionary<string, JsonElement>(StringComparer.Ordinal)).TryAdd(name, value.Clone()))
        // Stryker disable once Block,Statement,String : on .NET 9 and later the parser refuses duplicate keys first
        {
            // Stryker disable once Statement,String : the same unreachable throw
            throw _context.Corrupt(_path + "." + name, "duplicate key");
        }
    }
}

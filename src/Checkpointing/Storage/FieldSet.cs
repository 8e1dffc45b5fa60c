using System.Collections.ObjectModel;
using System.Text.Json;

namespace Checkpointing;

/// <summary>Tracks the keys of one JSON object as it is read: refuses duplicates and keeps unknown fields in order.</summary>
internal sealed class FieldSet
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly JsonReadContext _context;
    private readonly string _path;
    private Dictionary<string, JsonElement>? _unknown;

    public FieldSet(in JsonReadContext context, string path)
    {
        _context = context;
        _path = path;
    }

    /// <summary>Gets the unknown fields, in document order.</summary>
    public IReadOnlyDictionary<string, JsonElement> Unknown =>
        _unknown is null ? ReadOnlyDictionary<string, JsonElement>.Empty : _unknown.AsReadOnly();

    /// <summary>Records a key, refusing one seen before in the same object.</summary>
    public void Add(string name)
    {
        if (!_seen.Add(name))
        {
            throw _context.Corrupt(_path + "." + name, "duplicate key");
        }
    }

    /// <summary>Keeps a field this library does not interpret, so it can be written back unchanged.</summary>
    public void AddUnknown(string name, JsonElement value)
    {
        if (!(_unknown ??= new Dictionary<string, JsonElement>(StringComparer.Ordinal)).TryAdd(name, value.Clone()))
        {
            throw _context.Corrupt(_path + "." + name, "duplicate key");
        }
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Checkpointing.LlmCache;

/// <summary>
/// The canonical form of an <see cref="LlmRequest"/>, version 1: a JSON object with keys sorted by ordinal order,
/// no whitespace, null and empty values omitted; strings escape only <c>"</c>, <c>\</c> and control characters
/// (as <c>\u00xx</c>); numbers are integers when integral and below 1e15 in magnitude, otherwise the shortest
/// round-trip form. Written by hand, not by an encoder whose escaping could change between .NET versions.
/// </summary>
internal static class LlmRequestCanonicalizer
{
    private const int FormatVersion = 1;

    /// <summary>Computes the cache key.</summary>
    public static string ComputeKey(LlmRequest request) =>
        Convert.ToHexString(SHA256.HashData(Serialize(request))).ToLowerInvariant();

    /// <summary>Serializes the canonical form as UTF-8.</summary>
    public static byte[] Serialize(LlmRequest request)
    {
        if ((request.Prompt is null) == (request.Messages is null))
        {
            throw new InvalidOperationException("An LlmRequest needs exactly one of Prompt and Messages.");
        }

        var fields = new SortedDictionary<string, Action<StringBuilder>>(StringComparer.Ordinal)
        {
            ["v"] = b => b.Append(FormatVersion),
        };
        AddString(fields, "prompt", request.Prompt);
        AddString(fields, "model", request.Model);
        AddNumber(fields, "temperature", request.Temperature);
        AddNumber(fields, "top_p", request.TopP);
        AddInteger(fields, "max_tokens", request.MaxTokens);
        AddInteger(fields, "seed", request.Seed);
        AddJson(fields, "tools", request.Tools);
        AddJson(fields, "tool_choice", request.ToolChoice);
        AddJson(fields, "response_format", request.ResponseFormat);
        if (request.Messages is { } messages)
        {
            fields["messages"] = b => WriteArray(b, messages, WriteMessage);
        }

        if (request.StopSequences is { Count: > 0 } stop)
        {
            fields["stop"] = b => WriteArray(b, stop, WriteString);
        }

        if (request.Extras is { Count: > 0 } extras)
        {
            fields["extras"] = b => WriteObject(b, extras.Select(p => KeyValuePair.Create(p.Key, (Action<StringBuilder>)(x => WriteElement(x, p.Value)))));
        }

        var builder = new StringBuilder(256);
        WriteObject(builder, fields);
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private static void WriteMessage(StringBuilder builder, LlmMessage message)
    {
        var fields = new SortedDictionary<string, Action<StringBuilder>>(StringComparer.Ordinal)
        {
            ["content"] = b => WriteString(b, message.Content),
            ["role"] = b => WriteString(b, message.Role),
        };
        AddString(fields, "name", message.Name);
        WriteObject(builder, fields);
    }

    private static void WriteElement(StringBuilder builder, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = new SortedDictionary<string, Action<StringBuilder>>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    var value = property.Value;
                    if (!properties.TryAdd(property.Name, b => WriteElement(b, value)))
                    {
                        throw new ArgumentException($"Duplicate property '{property.Name}' in a JSON value of an LlmRequest.");
                    }
                }

                WriteObject(builder, properties);
                break;
            case JsonValueKind.Array:
                WriteArray(builder, [.. element.EnumerateArray()], WriteElement);
                break;
            case JsonValueKind.String:
                WriteString(builder, element.GetString()!);
                break;
            case JsonValueKind.Number:
                WriteNumber(builder, element.GetDouble());
                break;
            case JsonValueKind.True:
                builder.Append("true");
                break;
            case JsonValueKind.False:
                builder.Append("false");
                break;
            default:
                builder.Append("null");
                break;
        }
    }

    private static void WriteObject(StringBuilder builder, IEnumerable<KeyValuePair<string, Action<StringBuilder>>> fields)
    {
        builder.Append('{');
        var first = true;
        foreach (var (name, write) in fields.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!first)
            {
                builder.Append(',');
            }

            first = false;
            WriteString(builder, name);
            builder.Append(':');
            write(builder);
        }

        builder.Append('}');
    }

    private static void WriteArray<T>(StringBuilder builder, IReadOnlyList<T> items, Action<StringBuilder, T> write)
    {
        builder.Append('[');
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }

            write(builder, items[i]);
        }

        builder.Append(']');
    }

    private static void WriteString(StringBuilder builder, string value)
    {
        builder.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case < ' ': builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: builder.Append(c); break;
            }
        }

        builder.Append('"');
    }

    private static void WriteNumber(StringBuilder builder, double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentException("LlmRequest numbers must be finite.");
        }

        if (value == Math.Floor(value) && Math.Abs(value) < 1e15)
        {
            builder.Append(((long)value).ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            builder.Append(value.ToString("R", CultureInfo.InvariantCulture));
        }
    }

    private static void AddString(SortedDictionary<string, Action<StringBuilder>> fields, string name, string? value)
    {
        if (value is not null)
        {
            fields[name] = b => WriteString(b, value);
        }
    }

    private static void AddNumber(SortedDictionary<string, Action<StringBuilder>> fields, string name, double? value)
    {
        if (value is { } number)
        {
            fields[name] = b => WriteNumber(b, number);
        }
    }

    private static void AddInteger(SortedDictionary<string, Action<StringBuilder>> fields, string name, long? value)
    {
        if (value is { } number)
        {
            fields[name] = b => b.Append(number.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void AddJson(SortedDictionary<string, Action<StringBuilder>> fields, string name, JsonElement? value)
    {
        if (value is { ValueKind: not (JsonValueKind.Undefined or JsonValueKind.Null) } element)
        {
            fields[name] = b => WriteElement(b, element);
        }
    }
}

using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace FedTrain.Integration.Tests.Browser;

/// <summary>
/// A Chrome DevTools Protocol session over one websocket: commands are matched to their replies by id, and events
/// are queued for whoever waits on them.
/// </summary>
internal sealed class DevToolsSession : IAsyncDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    private readonly ClientWebSocket _socket;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly Channel<JsonElement> _events = Channel.CreateUnbounded<JsonElement>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _receiving;
    private int _nextId;

    private DevToolsSession(ClientWebSocket socket)
    {
        _socket = socket;
        _receiving = ReceiveLoopAsync();
    }

    public static async Task<DevToolsSession> ConnectAsync(Uri webSocketUrl, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        // Screenshots of a full page come back as one large message.
        socket.Options.SetBuffer(1 << 16, 1 << 16);
        await socket.ConnectAsync(webSocketUrl, cancellationToken);
        return new DevToolsSession(socket);
    }

    /// <summary>Sends a command and returns its <c>result</c>; a protocol error becomes an exception.</summary>
    public async Task<JsonElement> SendAsync(string method, object? parameters = null)
    {
        int id = Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        var message = new JsonObject
        {
            ["id"] = id,
            ["method"] = method,
            ["params"] = parameters is null ? new JsonObject() : JsonSerializer.SerializeToNode(parameters),
        };
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, _stop.Token);
        var response = await reply.Task.WaitAsync(CommandTimeout);
        return response.TryGetProperty("error", out var error)
            ? throw new InvalidOperationException($"{method} failed: {error}")
            : response.GetProperty("result");
    }

    /// <summary>Waits for the first event named <paramref name="method"/> whose params satisfy <paramref name="match"/>.</summary>
    public async Task<JsonElement> WaitForEventAsync(string method, Func<JsonElement, bool> match, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var message = await _events.Reader.ReadAsync(cts.Token);
                if (message.GetProperty("method").GetString() == method && match(message.GetProperty("params")))
                {
                    return message.GetProperty("params");
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No {method} event matched within {timeout}.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception ex) when (ex is WebSocketException or TimeoutException or OperationCanceledException)
        {
            // The browser may already be gone; the process is killed next anyway.
        }

        try
        {
            await _receiving;
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // Expected when the connection drops at shutdown.
        }

        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
        {
            var received = await _socket.ReceiveAsync(buffer, _stop.Token);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                break;
            }

            message.Write(buffer, 0, received.Count);
            if (!received.EndOfMessage)
            {
                continue;
            }

            using (var document = JsonDocument.Parse(message.GetBuffer().AsMemory(0, (int)message.Length)))
            {
                var root = document.RootElement.Clone();
                if (root.TryGetProperty("id", out var id) && _pending.TryRemove(id.GetInt32(), out var reply))
                {
                    reply.TrySetResult(root);
                }
                else if (root.TryGetProperty("method", out _))
                {
                    _events.Writer.TryWrite(root);
                }
            }

            message.SetLength(0);
        }

        foreach (var reply in _pending.Values)
        {
            reply.TrySetException(new WebSocketException("The DevTools connection closed."));
        }
    }
}

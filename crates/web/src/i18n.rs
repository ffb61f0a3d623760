//! Spanish and English: the catalog of every string the pages show, the choice of language,
//! and the formatting of dates, durations and numbers for each.
//!
//! The catalog is a Rust enum, so a string used but not translated does not compile: each
//! entry gives the English and the Spanish text side by side. Dates are formatted here (no
//! locale crate: two languages need a dozen lines), in UTC with the zone said; the page's
//! script rewrites them in the browser's own time zone with `Intl.DateTimeFormat`.

use std::collections::HashMap;

use centralita_domain::{AudioId, CallEvent, EventKind, HangupBy, IvrId, Millis, UserId};
use centralita_store::{Audio, Ivr, User};

/// A language of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Español.
    Es,
    /// English.
    En,
}

impl Lang {
    /// Every language, in the order the switch shows them.
    pub const ALL: [Self; 2] = [Self::Es, Self::En];

    /// The BCP 47 code (`es`, `en`).
    pub fn code(self) -> &'static str {
        match self {
            Self::Es => "es",
            Self::En => "en",
        }
    }

    /// The language's own name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Es => "Español",
            Self::En => "English",
        }
    }

    /// A language from its code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "es" => Some(Self::Es),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The best language for an `Accept-Language` header (q-values honoured, `es-MX` is
    /// Spanish); English when none fits.
    pub fn from_accept_language(header: &str) -> Self {
        let mut best: Option<(f32, usize, Self)> = None;
        for (position, item) in header.split(',').enumerate() {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let Some(lang) = Self::from_code(primary) else { continue };
            if q <= 0.0 {
                continue;
            }
            // Highest q wins; on a tie, the one listed first.
            if best.is_none_or(|(bq, bp, _)| q > bq || (q == bq && position < bp)) {
                best = Some((q, position, lang));
            }
        }
        best.map_or(Self::En, |(_, _, lang)| lang)
    }

    /// A string of the catalog.
    pub(crate) fn t(self, key: T) -> &'static str {
        key.text(self)
    }
}

macro_rules! catalog {
    ($($key:ident => $en:literal, $es:literal;)*) => {
        /// Every string of the UI.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum T { $($key,)* }

        impl T {
            fn text(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Self::$key, Lang::En) => $en, (Self::$key, Lang::Es) => $es,)*
                }
            }
        }

        #[cfg(test)]
        const ALL_KEYS: &[T] = &[$(T::$key,)*];
    };
}

catalog! {
    Action => "Action", "Acción";
    ActionAudio => "Audio message", "Mensaje de audio";
    ActionBusy => "Play busy tone", "Reproducir señal de línea ocupada";
    ActionBusyHint => "The caller hears a busy tone and the call is disconnected.", "Se escuchará una señal de línea ocupada y la llamada se desconectará.";
    ActionDisconnect => "Disconnect the call", "Desconectar la llamada";
    ActionDisconnectHint => "The call is disconnected at once.", "La llamada se desconectará inmediatamente.";
    ActionMessage => "Play a message", "Reproducir mensaje";
    ActionMessageHint => "The caller hears an audio message you upload (for example your business hours), then the call ends.", "El cliente escuchará un mensaje de audio que puedes importar (p. ej. el horario laboral) y después la llamada se desconectará.";
    ActionRingback => "Play ringback tone", "Reproducir señal de línea libre";
    ActionRingbackHint => "The caller hears ringing until the call is disconnected after 30 seconds.", "Se escuchará una señal de línea libre hasta que la llamada se desconecte en 30 segundos.";
    ActionTransfer => "Transfer the call", "Transferir la llamada";
    ActionTransferHint => "The call is forwarded to the number you give. Transferred calls cost like outbound calls.", "La llamada será desviada al número especificado. Las llamadas desviadas tienen costo como las llamadas salientes.";
    ActionVoicemail => "Let callers leave a voicemail", "Permitir a los clientes dejar un mensaje de voz";
    ActionVoicemailHint => "The caller hears a greeting, then after the tone leaves a message. You hear it in the event history or by clicking the notification.", "El cliente escuchará un mensaje y después del tono podrá dejar un mensaje de voz. Lo escucharás en el historial de eventos o haciendo clic en la notificación.";
    AddUser => "Add a user", "Añadir usuario";
    AllNumbers => "All numbers", "Todos los números";
    AllOutcomes => "Any outcome", "Cualquier resultado";
    AssignedUsers => "Assigned users", "Usuarios asignados";
    AssignedUsersHint => "Only assigned users can make and receive calls with this number.", "Solo los usuarios asignados pueden usar el número para realizar y recibir llamadas.";
    AudioFile => "File (WAV or MP3)", "Archivo (WAV o MP3)";
    AudioIntro => "Messages for welcome, voicemail greetings, IVR prompts and voicedrop. They are stored ready for the phone line (8 kHz).", "Mensajes de bienvenida, saludos del buzón de voz, menús IVR y voicedrop. Se guardan listos para la línea telefónica (8 kHz).";
    AudioName => "Name", "Nombre";
    AudioTitle => "Audio messages", "Mensajes de audio";
    BackHome => "Back to the start", "Volver al inicio";
    Breadcrumb => "You are here", "Estás aquí";
    CallTitle => "Call from", "Llamada de";
    Change => "Change", "Cambiar";
    ChooseAccount => "Account", "Cuenta";
    ChooseAccountHint => "This email and password open several accounts: choose one.", "Este correo y contraseña abren varias cuentas: elige una.";
    Copy => "Copy", "Copiar";
    Cost => "Cost", "Coste";
    CreateIvr => "Create an IVR", "Crear un IVR";
    CurrentCall => "Current call", "Llamada actual";
    DefaultPlaceholder => "default", "por defecto";
    Delete => "Delete", "Eliminar";
    DeleteIvr => "Delete this IVR", "Eliminar este IVR";
    Deleted => "Deleted", "Eliminado";
    Details => "Details", "Detalles";
    Devices => "device(s)", "dispositivo(s)";
    DialButton => "Call", "Llamar";
    DialFailed => "The call could not be placed:", "No se pudo realizar la llamada:";
    DialFrom => "Call from number", "Llamar desde el número";
    DialRemember => "Use this number by default", "Usar este número por defecto";
    DialLabel => "Number to call", "Número al que llamar";
    DialNoNumber => "You have no assigned number to call from.", "No tienes ningún número asignado desde el que llamar.";
    CallRinging => "ringing…", "sonando…";
    Dialing => "Calling", "Llamando a";
    Direction => "Direction", "Dirección";
    DistLongestIdle => "Longest idle", "Mayor inactividad";
    DistLongestIdleHint => "The agent who has gone longest without answering a call gets it; if they do not answer, the next one.", "La llamada le aparecerá al agente que más tiempo ha estado sin contestar una llamada. Si no contesta, pasará al siguiente agente disponible.";
    DistRandom => "Random", "Modo aleatorio";
    DistRandomHint => "An available agent at random; if they do not answer in about 30 seconds, another one at random.", "La llamada le aparecerá a un agente disponible de forma aleatoria. Si no contesta en ~30 segundos, el sistema escogerá a otro agente disponible.";
    DistSimultaneous => "Simultaneous", "Llamadas simultáneas";
    DistSimultaneousHint => "Every agent's phone rings at once; the first to answer takes the call.", "La llamada le aparecerá a todos los agentes al mismo tiempo y el primero que la conteste será conectado con el cliente.";
    Download => "Download", "Descargar";
    Duration => "Duration", "Duración";
    Email => "Email", "Correo electrónico";
    ErrBadRequestText => "The request could not be read.", "No se pudo leer la petición.";
    ErrBadRequestTitle => "Bad request", "Petición incorrecta";
    ErrCsrfText => "The form had expired or came from another site. Go back, reload the page and try again.", "El formulario había caducado o venía de otro sitio. Vuelve atrás, recarga la página e inténtalo de nuevo.";
    ErrCsrfTitle => "Form refused", "Formulario rechazado";
    ErrForbiddenText => "This page is for the account's admins.", "Esta página es para los administradores de la cuenta.";
    ErrForbiddenTitle => "Not allowed", "Sin permiso";
    ErrInternalText => "Something went wrong on our side. The server log has the details.", "Algo ha fallado en el servidor. El registro del servidor tiene los detalles.";
    ErrInternalTitle => "Server error", "Error del servidor";
    ErrNotFoundText => "There is nothing here, or it is not yours to see.", "Aquí no hay nada, o no tienes acceso.";
    ErrNotFoundTitle => "Not found", "No encontrado";
    ErrTooLargeText => "The file is larger than the upload limit.", "El archivo supera el tamaño máximo permitido.";
    ErrTooLargeTitle => "File too large", "Archivo demasiado grande";
    ErrorPrefix => "Error:", "Error:";
    Filter => "Filter", "Filtrar";
    ForwardTo => "Forward to (E.164, e.g. +34600000000)", "Desviar a (E.164, p. ej. +34600000000)";
    From => "From", "De";
    FromDate => "From date (UTC)", "Desde (UTC)";
    HistoryTitle => "Event history", "Historial de eventos";
    Inbound => "Incoming", "Entrante";
    IncomingMode => "Incoming calls", "Llamadas entrantes";
    IncomingSection => "Settings", "Ajustes";
    IncomingSectionHint => "Choose whether to receive incoming calls on this number, forward them, or not accept them.", "Escoge si quieres recibir llamadas en este número, desviar las llamadas o no recibir llamadas.";
    IvrAgents => "Ring the agents", "Llamar a los agentes";
    IvrChoose => "IVR for this number", "IVR de este número";
    IvrForward => "Forward to a number", "Desviar a un número";
    IvrHangup => "Hang up", "Colgar";
    IvrMenu => "Go to a sub-menu", "Ir a un submenú";
    IvrMenuSection => "Menu", "Menú";
    IvrMessage => "Play a message and hang up", "Reproducir un mensaje y colgar";
    IvrName => "Name", "Nombre";
    IvrNoOption => "No option", "Sin opción";
    IvrOnInvalid => "Invalid key", "Tecla no válida";
    IvrOnNoInput => "No key pressed", "Ninguna tecla";
    IvrOptions => "Keys", "Teclas";
    IvrPrompt => "Prompt (audio message)", "Locución (mensaje de audio)";
    IvrRepeat => "Repeat the prompt", "Repetir la locución";
    IvrRepeats => "Repeats", "Repeticiones";
    IvrRepeatsHint => "Times the prompt plays while no key is pressed (1 to 10).", "Veces que suena la locución mientras no se pulsa ninguna tecla (1 a 10).";
    IvrSection => "IVR", "IVR";
    IvrSectionHint => "An IVR (interactive voice response) routes calls by the key the caller presses. Assign one you created before.", "El IVR (respuesta de voz interactiva) desvía la llamada según la cifra que pulse el cliente. Asigna una configuración de IVR creada previamente.";
    IvrTimeout => "Seconds to wait for a key", "Segundos de espera por tecla";
    IvrTimeoutHint => "After the prompt (1 to 60).", "Después de la locución (1 a 60).";
    IvrVoicemail => "Take a voicemail", "Buzón de voz";
    IvrsIntro => "Menus that route callers by the key they press. Create one, then choose it on a number's settings.", "Menús que dirigen la llamada según la tecla pulsada. Crea uno y después escógelo en los ajustes de un número.";
    IvrsTitle => "IVR menus", "Menús IVR";
    Key => "Key", "Tecla";
    Listen => "Listen", "Escuchar";
    MainNav => "Main", "Principal";
    MarkUnread => "Mark as unread", "Marcar como no leído";
    MarkedUnread => "Marked as unread", "Marcado como no leído";
    MaxWait => "Longest wait for an agent, in seconds", "Espera máxima por un agente, en segundos";
    MessagesSection => "Messages", "Mensajes";
    ModeForward => "Forward incoming calls", "Desviar llamadas entrantes";
    ModeForwardHint => "Every call goes to another number, which you can change at any time. Calls are still recorded; forwarding costs like an outbound call.", "Todas las llamadas serán desviadas a otro número, que puedes cambiar en cualquier momento. Se siguen grabando; el desvío tiene costo como llamada saliente.";
    ModeReceive => "Receive incoming calls", "Recibir llamadas entrantes";
    ModeReceiveHint => "Agents answer the calls.", "Los agentes contestan las llamadas.";
    ModeReject => "Do not accept incoming calls", "No aceptar llamadas entrantes";
    ModeRejectHint => "No agent is rung; choose what callers get.", "No sonará ningún agente; escoge qué escucha el cliente.";
    Name => "Name", "Nombre";
    New => "new", "nuevo";
    NewIvr => "New IVR", "Nuevo IVR";
    NewestFirst => "(newest first)", "(más recientes primero)";
    NoAudio => "No audio message yet.", "Todavía no hay mensajes de audio.";
    NoAudioBeepOnly => "None (voicemail: beep only)", "Ninguno (buzón: solo el tono)";
    NoCall => "No call right now.", "Ninguna llamada en curso.";
    NoCalls => "No calls match.", "Ninguna llamada coincide.";
    NoIvr => "No IVR", "Sin IVR";
    NoIvrs => "No IVR yet.", "Todavía no hay ningún IVR.";
    NoMessage => "No message", "Sin mensaje";
    NoNumbers => "The account has no numbers yet.", "La cuenta todavía no tiene números.";
    NoVoicemails => "No voicemails.", "No hay mensajes de voz.";
    NotSaved => "Not saved. Fix the field marked below:", "No se ha guardado. Corrige el campo indicado:";
    NowOffline => "You are offline.", "Estás fuera de línea.";
    NowOnline => "You are online.", "Estás en línea.";
    Number => "Number", "Número";
    NumberIntro => "These settings apply only to this number; each number is configured separately.", "Los ajustes solo se aplicarán a este número; cada número se configura por separado.";
    OnlineSwitch => "Agent online", "Agente en línea";
    OnlyTheseUsers => "Only these users (none chosen: all)", "Solo estos usuarios (ninguno: todos)";
    Open => "Open", "Abrir";
    OpenVoicemail => "Open the voicemail", "Abrir el mensaje de voz";
    OptionsCount => "key(s)", "tecla(s)";
    OrUploadNew => "or upload a new one (WAV or MP3)", "o sube uno nuevo (WAV o MP3)";
    Outbound => "Outgoing", "Saliente";
    Outcome => "Outcome", "Resultado";
    Password => "Password", "Contraseña";
    PasswordHint => "8 characters at least.", "Al menos 8 caracteres.";
    Presence => "Presence", "Presencia";
    PresenceNoDevice => "Switched online, but no phone registered", "En línea, pero sin teléfono registrado";
    PresenceOffline => "Offline", "Fuera de línea";
    PresenceOnline => "Online", "En línea";
    Read => "read", "leído";
    RecordCalls => "Record calls", "Grabar llamadas";
    RecordCallsHint => "When on, calls on this number are recorded; listen to them or download them later. Voicemails are always kept.", "Si está activada, las llamadas se grabarán y podrás escucharlas más tarde o descargarlas. Los mensajes de voz se guardan siempre.";
    RecordCallsToggle => "Record calls on this number", "Grabar las llamadas de este número";
    Recording => "Recording", "Grabación";
    RejectWhat => "What callers get", "Qué escucha el cliente";
    RingTimeout => "Seconds each agent rings", "Segundos que suena cada agente";
    Role => "Role", "Rol";
    RoleAdmin => "Admin", "Administrador";
    RoleAgent => "Agent", "Agente";
    Save => "Save", "Guardar";
    Saved => "Saved", "Guardado";
    SeeCall => "See the call in the history", "Ver la llamada en el historial";
    SettingsIntro => "Choose the number to configure. Settings apply only to the number you choose.", "Escoge el número que quieres configurar. Los ajustes solo se aplicarán al número seleccionado.";
    SettingsTitle => "Settings", "Ajustes";
    ShownOnce => "Copy it now: it is not shown again.", "Cópiala ahora: no se volverá a mostrar.";
    SignIn => "Sign in", "Entrar";
    SignInTitle => "Sign in", "Iniciar sesión";
    SignOut => "Sign out", "Salir";
    SimulateHint => "A dry run of the saved settings, with the agents as they are now. Nothing is called.", "Una simulación de los ajustes guardados, con los agentes como están ahora. No se llama a nadie.";
    SimulateTitle => "What happens if someone calls now?", "¿Qué pasa si alguien llama ahora?";
    SimulateTruncated => "(the simulation stopped at its time limit)", "(la simulación se detuvo en su límite de tiempo)";
    SipCredentialsFor => "SIP credentials for", "Credenciales SIP de";
    SipCredentialsHint => "Enter these in the user's softphone or desk phone.", "Introduce estos datos en el softphone o teléfono del usuario.";
    SipDomain => "Domain (registrar)", "Dominio (registrador)";
    SipPassword => "SIP password", "Contraseña SIP";
    SipPasswordHint => "Leave empty to generate one.", "Déjala vacía para generar una.";
    SipPasswordYours => "The SIP password you chose.", "La contraseña SIP que has elegido.";
    SipUsername => "SIP username", "Usuario SIP";
    SipUsernameHint => "Letters, digits, '.', '_' or '-'. Leave empty to generate one.", "Letras, dígitos, '.', '_' o '-'. Déjalo vacío para generar uno.";
    SkipToContent => "Skip to content", "Saltar al contenido";
    State => "State", "Estado";
    StatusAnswered => "Answered", "Contestada";
    StatusForwarded => "Forwarded", "Desviada";
    StatusInProgress => "In progress", "En curso";
    StatusMissed => "Missed", "Perdida";
    StatusVoicemail => "Voicemail", "Buzón de voz";
    SubMenu => "Sub-menu", "Submenú";
    TabAudio => "Audio", "Audios";
    TabHistory => "History", "Historial";
    TabIvrs => "IVR", "IVR";
    TabSettings => "Settings", "Ajustes";
    TabUsers => "Users", "Usuarios";
    TabAccount => "Account", "Cuenta";
    AccountTitle => "Account", "Cuenta";
    AccountNameHint => "The company's name, as its users see it.", "El nombre de la empresa, tal como lo ven sus usuarios.";
    Country => "Country", "País";
    CountryHint => "Two-letter ISO code, e.g. ES. Numbers dialled without + are read as numbers of this country.", "Código ISO de dos letras, p. ej. ES. Los números marcados sin + se leen como números de este país.";
    AllowedPrefixes => "Countries calls may reach", "Países a los que se puede llamar";
    AllowedPrefixesHint => "Country codes separated by spaces, e.g. 34 351. Outbound, forwarded and transferred calls elsewhere are refused. Empty: only the account's own country.", "Prefijos de país separados por espacios, p. ej. 34 351. Las llamadas salientes, desviadas y transferidas a otros destinos se rechazan. Vacío: solo el país de la cuenta.";
    MaxOutboundLegs => "Most external calls at once", "Máximo de llamadas externas a la vez";
    MaxOutboundLegsHint => "Outbound, forwarded and transferred calls up at the same time. Empty: the server's limit.", "Llamadas salientes, desviadas y transferidas al mismo tiempo. Vacío: el límite del servidor.";
    DefaultCallerId => "Default caller ID", "Número saliente por defecto";
    DefaultCallerIdHint => "The number leads see when an agent has not chosen one, if it is assigned to that agent.", "El número que ven los clientes cuando un agente no ha elegido uno, si está asignado a ese agente.";
    NoDefaultCallerId => "None: each agent's first number", "Ninguno: el primer número de cada agente";
    TabVoicemails => "Voicemail", "Buzón de voz";
    Timeline => "What happened", "Qué pasó";
    To => "To", "A";
    ToDate => "To date (UTC)", "Hasta (UTC)";
    TransferTo => "Transfer to (E.164, e.g. +34600000000)", "Transferir a (E.164, p. ej. +34600000000)";
    UnreadLabel => "unread voicemails", "mensajes de voz sin leer";
    Upload => "Upload", "Subir";
    UploadAudio => "Upload an audio message", "Subir un mensaje de audio";
    UploadAudioLink => "Upload audio", "Subir audio";
    Uploaded => "Uploaded", "Subido";
    UsedBy => "Used by", "Usado por";
    UsersTitle => "Users", "Usuarios";
    VoicedropButton => "Voicedrop", "Voicedrop";
    VoicedropCallEnded => "The call has ended.", "La llamada ha terminado.";
    VoicedropMessage => "Voicedrop message", "Mensaje de voz (Voicedrop)";
    VoicedropMessageHint => "A recorded message you send with one click when an outbound call reaches a voicemail box: press Voicedrop in the widget after the tone.", "Un mensaje pregrabado que envías con un solo clic cuando conectas con un buzón de voz: tras el tono, pulsa Voicedrop en el widget.";
    VoicedropNoMessage => "This number has no voicedrop message.", "Este número no tiene mensaje de voicedrop.";
    VoicedropOutboundOnly => "Voicedrop is for outbound calls only.", "El voicedrop es solo para llamadas salientes.";
    VoicedropSent => "Voicedrop sent; you are free for the next call.", "Voicedrop enviado; ya puedes hacer la siguiente llamada.";
    Voicemail => "Voicemail", "Mensaje de voz";
    VoicemailsTitle => "Voicemail", "Buzón de voz";
    WelcomeMessage => "Welcome message", "Mensaje de bienvenida";
    WelcomeMessageHint => "Played before the ringing tone, only when receiving calls with an agent online.", "Se reproduce antes del tono de llamada, solo al recibir llamadas con un agente conectado.";
    When => "When", "Cuándo";
    WhenOffline => "When no agent is online", "Cuando no hay agentes conectados (fuera de línea)";
    WhenOnline => "When agents are online: who gets the call", "Cuando los agentes están conectados: a quién se asigna la llamada";
    WidgetTitle => "Phone", "Teléfono";
    WrongCredentials => "Wrong email or password.", "Correo o contraseña incorrectos.";
    JsNewVoicemail => "New voicemail from", "Nuevo mensaje de voz de";
    JsListen => "Listen", "Escuchar";
}

const MONTHS_EN: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const MONTHS_ES: [&str; 12] =
    ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"];

/// `24 nov 2026, 13:05 UTC` / `Nov 24, 2026, 1:05 PM UTC`.
pub(crate) fn format_datetime(lang: Lang, at: Millis) -> String {
    let Ok(ts) = jiff::Timestamp::from_millisecond(at.0) else {
        return centralita_domain::format_rfc3339_ms(at.0);
    };
    let dt = ts.to_zoned_datetime(jiff::tz::TimeZone::UTC).datetime();
    let month = usize::try_from(dt.month() - 1).unwrap_or(0).min(11);
    match lang {
        Lang::Es => format!(
            "{} {} {}, {:02}:{:02} UTC",
            dt.day(),
            MONTHS_ES[month],
            dt.year(),
            dt.hour(),
            dt.minute()
        ),
        Lang::En => {
            let (hour, half) = match dt.hour() {
                0 => (12, "AM"),
                h @ 1..=11 => (h, "AM"),
                12 => (12, "PM"),
                h => (h - 12, "PM"),
            };
            format!(
                "{} {}, {}, {}:{:02} {half} UTC",
                MONTHS_EN[month],
                dt.day(),
                dt.year(),
                hour,
                dt.minute()
            )
        }
    }
}

/// A number with `decimals` digits after the separator and thousands grouped, as the language
/// writes it (`1,234.5` / `1234,5`; Spanish groups only from five digits, per the RAE).
pub(crate) fn format_decimal(lang: Lang, value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (group, point) = match lang {
        Lang::En => (',', '.'),
        Lang::Es => ('.', ','),
    };
    let grouped = if lang == Lang::Es && int.len() <= 4 {
        int.to_owned()
    } else {
        let mut out = String::new();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push(group);
            }
            out.push(c);
        }
        out
    };
    let sign =
        if value < 0.0 && value.abs() >= 0.5 * 10f64.powi(-(decimals as i32)) { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{point}{frac}")
    }
}

/// A duration: `0:42`, `12:05`, `1:02:03`.
pub(crate) fn format_duration_ms(_lang: Lang, ms: u64) -> String {
    let total = (ms + 500) / 1000;
    let (h, m, s) = (total / 3600, (total / 60) % 60, total % 60);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}") }
}

/// Time since the start of a call: `+4,5 s` / `+4.5 s`.
pub(crate) fn format_offset(lang: Lang, ms: u64) -> String {
    let decimals = if ms.is_multiple_of(1000) { 0 } else { 1 };
    format!("+{} s", format_decimal(lang, ms as f64 / 1000.0, decimals))
}

/// A decimal amount written with a point (`"0.0240"`), in the language's notation.
pub(crate) fn format_amount(lang: Lang, amount: &str) -> String {
    match lang {
        Lang::En => amount.to_owned(),
        Lang::Es => amount.replace('.', ","),
    }
}

/// The names a timeline may show; ids without a name become generic words.
#[derive(Debug, Default)]
pub(crate) struct Names {
    users: HashMap<UserId, String>,
    audio: HashMap<AudioId, String>,
    ivrs: HashMap<IvrId, String>,
}

impl Names {
    pub(crate) fn new(users: &[User], audio: &[Audio], ivrs: &[Ivr]) -> Self {
        Self {
            users: users.iter().map(|u| (u.id, u.name.clone())).collect(),
            audio: audio.iter().map(|a| (a.id, a.name.clone())).collect(),
            ivrs: ivrs.iter().map(|i| (i.id, i.document.name.clone())).collect(),
        }
    }
}

/// A history event in words, in the language.
pub(crate) fn describe_event(lang: Lang, event: &CallEvent, names: &Names) -> String {
    let es = lang == Lang::Es;
    let user = |id: &UserId| {
        names
            .users
            .get(id)
            .cloned()
            .unwrap_or_else(|| (if es { "otro agente" } else { "another agent" }).to_owned())
    };
    let audio = |id: &AudioId| {
        names.audio.get(id).map_or_else(
            || (if es { "un mensaje" } else { "a message" }).to_owned(),
            |n| format!("«{n}»"),
        )
    };
    let party = |p: &str| {
        if p == "anonymous" {
            (if es { "un número oculto" } else { "a hidden number" }).to_owned()
        } else {
            p.to_owned()
        }
    };
    let mut text = match &event.kind {
        EventKind::Arrived { from, to } => {
            if es {
                format!("Llega una llamada de {} a {to}", party(from))
            } else {
                format!("Call arrives from {} to {to}", party(from))
            }
        }
        EventKind::IvrPrompt { ivr_id } => {
            let name = names.ivrs.get(ivr_id).cloned().unwrap_or_else(|| "IVR".into());
            if es { format!("Suena el menú {name}") } else { format!("The {name} menu plays") }
        }
        EventKind::IvrDigit { digit } => {
            if es {
                format!("El cliente pulsa {digit}")
            } else {
                format!("The caller presses {digit}")
            }
        }
        EventKind::WelcomePlayed { audio_id } => {
            if es {
                format!("Suena el mensaje de bienvenida {}", audio(audio_id))
            } else {
                format!("The welcome message {} plays", audio(audio_id))
            }
        }
        EventKind::Queued {} => (if es {
            "El cliente espera a un agente libre"
        } else {
            "The caller waits for a free agent"
        })
        .to_owned(),
        EventKind::Offered { user_id, devices } => {
            if es {
                format!("Suena el teléfono de {} ({} dispositivo(s))", user(user_id), devices.len())
            } else {
                format!("{}'s phone rings ({} device(s))", user(user_id), devices.len())
            }
        }
        EventKind::NoAnswer { user_id } => {
            if es {
                format!("{} no contesta", user(user_id))
            } else {
                format!("{} does not answer", user(user_id))
            }
        }
        EventKind::Rejected { user_id } => {
            if es {
                format!("{} rechaza la llamada", user(user_id))
            } else {
                format!("{} declines the call", user(user_id))
            }
        }
        EventKind::Answered { user_id: Some(u) } => {
            if es {
                format!("{} contesta", user(u))
            } else {
                format!("{} answers", user(u))
            }
        }
        EventKind::Answered { user_id: None } => {
            (if es { "El número externo contesta" } else { "The external number answers" })
                .to_owned()
        }
        EventKind::Forwarded { to } => {
            if es {
                format!("Se desvía a {to}")
            } else {
                format!("Forwarded to {to}")
            }
        }
        EventKind::Transferred { to } => {
            if es {
                format!("Se transfiere a {to}")
            } else {
                format!("Transferred to {to}")
            }
        }
        EventKind::OfflineAction { action } => {
            let what = match (action.as_str(), es) {
                ("ringback", false) => "ringback tone",
                ("ringback", true) => "señal de línea libre",
                ("busy", false) => "busy tone",
                ("busy", true) => "señal de ocupado",
                ("disconnect", false) => "disconnect",
                ("disconnect", true) => "desconectar",
                ("message", false) => "play a message",
                ("message", true) => "reproducir mensaje",
                ("voicemail", false) => "voicemail",
                ("voicemail", true) => "buzón de voz",
                ("transfer", false) => "transfer",
                ("transfer", true) => "transferir",
                (other, _) => other,
            };
            if es {
                format!("Nadie puede atender: {what}")
            } else {
                format!("Nobody can take the call: {what}")
            }
        }
        EventKind::RecordingStarted { .. } => {
            (if es { "Empieza la grabación" } else { "Recording starts" }).to_owned()
        }
        EventKind::VoicemailRecorded { duration_ms, .. } => {
            let d = format_duration_ms(lang, *duration_ms);
            if es {
                format!("Mensaje de voz grabado ({d})")
            } else {
                format!("Voicemail recorded ({d})")
            }
        }
        EventKind::Voicedrop { audio_id } => {
            if es {
                format!("Voicedrop enviado: {}", audio(audio_id))
            } else {
                format!("Voicedrop sent: {}", audio(audio_id))
            }
        }
        EventKind::Ended { hangup_by, duration_ms, talk_ms, .. } => {
            let who = match (hangup_by, es) {
                (HangupBy::Caller, false) => "the caller",
                (HangupBy::Caller, true) => "el cliente",
                (HangupBy::Callee, false) => "the agent or number called",
                (HangupBy::Callee, true) => "el agente o número llamado",
                (HangupBy::System, false) => "centralita",
                (HangupBy::System, true) => "centralita",
            };
            let (d, t) =
                (format_duration_ms(lang, *duration_ms), format_duration_ms(lang, *talk_ms));
            if es {
                format!("Fin de la llamada: cuelga {who}; duración {d}, conversación {t}")
            } else {
                format!("Call ends: {who} hangs up; lasted {d}, talk {t}")
            }
        }
    };
    if let Some(reason) = &event.reason {
        text.push_str(" (");
        text.push_str(&translate_reason(lang, reason));
        text.push(')');
    }
    text
}

/// The fixed `ended` reasons, and the most common engine reasons, in Spanish; other reasons
/// are shown as the engine wrote them.
fn translate_reason(lang: Lang, reason: &str) -> String {
    if lang == Lang::En {
        return reason.replace('_', " ");
    }
    let known = [
        ("completed", "completada"),
        ("caller_hung_up", "el cliente colgó"),
        ("voicemail", "mensaje de voz"),
        ("message", "mensaje reproducido"),
        ("no_answer", "sin respuesta"),
        ("busy", "ocupado"),
        ("rejected", "rechazada"),
        ("hangup", "colgada por el IVR"),
        ("forward_failed", "el desvío falló"),
        ("no assigned agent online", "ningún agente asignado en línea"),
        ("the number does not accept incoming calls", "el número no acepta llamadas entrantes"),
        ("forward mode: every call is forwarded", "modo desvío: se desvían todas las llamadas"),
        ("declined on the phone", "rechazada en el teléfono"),
    ];
    known
        .iter()
        .find(|(en, _)| *en == reason)
        .map_or_else(|| reason.to_owned(), |(_, es)| (*es).to_owned())
}

/// A refusal's message (English, from the domain, the store or the audio decoder) in the
/// language: the known ones are translated, the rest shown as they are.
pub(crate) fn translate_error(lang: Lang, message: &str) -> String {
    if lang == Lang::En {
        return message.to_owned();
    }
    let exact = [
        (
            "must start with '+' and the country code, e.g. +34910000001",
            "debe empezar por '+' y el prefijo del país, p. ej. +34910000001",
        ),
        (
            "must contain only digits after the '+', with no spaces or separators",
            "solo puede contener dígitos después del '+', sin espacios ni separadores",
        ),
        ("the country code cannot start with 0", "el prefijo del país no puede empezar por 0"),
        (
            "must have between 7 and 15 digits after the '+'",
            "debe tener entre 7 y 15 dígitos después del '+'",
        ),
        ("must not be empty", "no puede estar vacío"),
        ("is not an email address", "no es una dirección de correo"),
        ("the message to play is required", "hay que escoger el mensaje que se reproduce"),
        ("the number to transfer to is required", "hay que indicar el número al que transferir"),
        ("is required by this action", "es obligatorio para esta acción"),
        ("this user is listed twice", "este usuario aparece dos veces"),
        ("choose a WAV or MP3 file", "escoge un archivo WAV o MP3"),
        ("the file is larger than the upload limit", "el archivo supera el tamaño máximo"),
        ("must be admin or agent", "debe ser administrador o agente"),
        ("this SIP username is already taken", "este usuario SIP ya existe"),
        (
            "a user with this email already exists in the account",
            "ya hay un usuario con este correo en la cuenta",
        ),
        (
            "this sub-menu leads back to this IVR; menus cannot form a cycle",
            "este submenú vuelve a este IVR; los menús no pueden formar un ciclo",
        ),
        (
            "repeat cannot follow the last repeat; choose what happens instead",
            "no se puede repetir tras la última repetición; escoge otra acción",
        ),
        (
            "must list at least one user; leave it out to ring every assigned agent",
            "escoge al menos un usuario, o ninguno para llamar a todos",
        ),
        (
            "must be an ISO 3166-1 alpha-2 country code with a numbering plan, e.g. ES",
            "debe ser un código de país ISO 3166-1 de dos letras con plan de numeración, p. ej. ES",
        ),
        (
            "must be an international prefix: digits without '+', starting with the country code, e.g. 34",
            "debe ser un prefijo internacional: dígitos sin '+', empezando por el del país, p. ej. 34",
        ),
        ("is not a number of this account", "no es un número de esta cuenta"),
        ("is not one of your numbers", "no es uno de tus números"),
        (
            "is not one of the numbers assigned to this user",
            "no es uno de los números asignados a este usuario",
        ),
        (
            "no number is assigned to you to call from",
            "no tienes ningún número asignado desde el que llamar",
        ),
        (
            "the destination is outside the countries this account may call",
            "el destino está fuera de los países a los que esta cuenta puede llamar",
        ),
        (
            "you have no registered phone to ring: sign in to a SIP phone first",
            "no tienes ningún teléfono registrado al que llamar: conecta primero un teléfono SIP",
        ),
        ("you are already on a call", "ya estás en una llamada"),
        (
            "no trunk is configured to place outbound calls",
            "no hay ninguna troncal configurada para llamadas salientes",
        ),
        (
            "the server is stopping; try again in a moment",
            "el servidor se está deteniendo; inténtalo de nuevo en un momento",
        ),
        (
            "your phones could not be rung; try again",
            "no se ha podido llamar a tus teléfonos; inténtalo de nuevo",
        ),
    ];
    if let Some((_, es)) = exact.iter().find(|(en, _)| *en == message) {
        return (*es).to_owned();
    }
    // serde's wording for an E.164 field: `"600 000 000" is not E.164: <the rule>`.
    if let Some((value, rule)) = message.split_once(" is not E.164: ") {
        return format!("{value} no es un número E.164: {}", translate_error(lang, rule));
    }
    if let Some(rest) = message.strip_prefix("not a number of ") {
        let country = rest.split(':').next().unwrap_or("");
        return format!(
            "no es un número de {country}: márcalo como +<prefijo del país><número>, p. ej. +34600111222"
        );
    }
    if let Some(rest) = message.strip_prefix("must be between ") {
        return format!("debe estar entre {}", rest.replace(" and ", " y "));
    }
    if let Some(rest) =
        message.strip_prefix("must be ").and_then(|r| r.strip_suffix(" characters long"))
    {
        return format!("debe tener de {} caracteres", rest.replace(" to ", " a "));
    }
    if message.starts_with("is required in mode") || message.starts_with("missing field") {
        return "es obligatorio".to_owned();
    }
    if message.starts_with("no audio message with id") {
        return "ese mensaje de audio no existe en esta cuenta".to_owned();
    }
    if message.starts_with("no IVR with id") {
        return "ese IVR no existe en esta cuenta".to_owned();
    }
    if message.starts_with("no user with id") {
        return "ese usuario no existe en esta cuenta".to_owned();
    }
    if message.starts_with("not usable audio") {
        return "no es un archivo de audio WAV o MP3 que se pueda leer".to_owned();
    }
    if let Some(rest) = message.strip_prefix("audio messages are limited to ") {
        return format!(
            "los mensajes de audio tienen un máximo de {}",
            rest.replace("seconds", "segundos")
        );
    }
    if message.starts_with("invalid type")
        || message.starts_with("invalid value")
        || message.starts_with("unknown variant")
    {
        return "valor no válido".to_owned();
    }
    if message.starts_with("calls cannot be placed") {
        return "no se pueden hacer llamadas: la capa de llamadas no está en marcha en este servidor".to_owned();
    }
    message.to_owned()
}

/// A field path (`incoming.when_offline.audio_id`) as the form labels it.
pub(crate) fn field_label(lang: Lang, field: &str) -> String {
    let path = crate::form::strip_indexes(field);
    let es = lang == Lang::Es;
    let word = |en: &str, sp: &str| (if es { sp } else { en }).to_owned();
    match path.as_str() {
        "record_calls" => lang.t(T::RecordCalls).to_owned(),
        "ivr_id" => lang.t(T::IvrSection).to_owned(),
        "incoming.mode" => lang.t(T::IncomingMode).to_owned(),
        "incoming.distribution" => lang.t(T::WhenOnline).to_owned(),
        "incoming.forward_to" => word("Forward to", "Desviar a"),
        "incoming.when_offline.action" | "incoming.when_offline" => {
            lang.t(T::WhenOffline).to_owned()
        }
        "incoming.when_offline.audio_id" | "incoming.action.audio_id" => {
            lang.t(T::ActionAudio).to_owned()
        }
        "incoming.when_offline.to" => word("Transfer to", "Transferir a"),
        "incoming.action" | "incoming.action.action" => lang.t(T::RejectWhat).to_owned(),
        "incoming.ring_timeout_s" => lang.t(T::RingTimeout).to_owned(),
        "incoming.max_wait_s" => lang.t(T::MaxWait).to_owned(),
        "welcome_audio_id" | "welcome_upload" => lang.t(T::WelcomeMessage).to_owned(),
        "voicedrop_audio_id" | "voicedrop_upload" => lang.t(T::VoicedropMessage).to_owned(),
        "assigned_user_ids" => lang.t(T::AssignedUsers).to_owned(),
        "name" => lang.t(T::IvrName).to_owned(),
        "prompt_audio_id" => lang.t(T::IvrPrompt).to_owned(),
        "timeout_s" => lang.t(T::IvrTimeout).to_owned(),
        "repeats" => lang.t(T::IvrRepeats).to_owned(),
        "on_no_input.action" => lang.t(T::IvrOnNoInput).to_owned(),
        "on_invalid.action" => lang.t(T::IvrOnInvalid).to_owned(),
        other => match other.strip_prefix("options.") {
            Some(rest) => format!("{} {}", lang.t(T::Key), rest.split('.').next().unwrap_or("")),
            None => other.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_by_quality_then_order() {
        assert_eq!(Lang::from_accept_language("es-ES,es;q=0.9,en;q=0.8"), Lang::Es);
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9,es;q=0.8"), Lang::En);
        assert_eq!(Lang::from_accept_language("fr-FR,fr;q=0.9,es;q=0.5"), Lang::Es);
        assert_eq!(Lang::from_accept_language("de,en;q=0.1,es;q=0.2"), Lang::Es);
        assert_eq!(Lang::from_accept_language("es;q=0,en"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
        assert_eq!(Lang::from_accept_language("*"), Lang::En);
    }

    #[test]
    fn every_string_exists_in_both_languages_and_they_differ_where_they_should() {
        let mut same = 0;
        for key in ALL_KEYS {
            let (en, es) = (key.text(Lang::En), key.text(Lang::Es));
            assert!(!en.is_empty() && !es.is_empty(), "{key:?}");
            if en == es {
                same += 1;
            }
        }
        // Words that are the same in both (IVR, Voicedrop, Error:) are few.
        assert!(same <= 5, "{same} strings are not translated");
    }

    #[test]
    fn dates_and_numbers_follow_the_language() {
        let at = Millis(1_795_000_000_123); // 2026-11-18T11:06:40Z
        assert_eq!(format_datetime(Lang::Es, at), "18 nov 2026, 11:06 UTC");
        assert_eq!(format_datetime(Lang::En, at), "Nov 18, 2026, 11:06 AM UTC");
        assert_eq!(
            format_datetime(Lang::En, Millis(1_795_045_000_000)),
            "Nov 18, 2026, 11:36 PM UTC"
        );
        assert_eq!(format_decimal(Lang::En, 1234567.891, 2), "1,234,567.89");
        assert_eq!(format_decimal(Lang::Es, 1234567.891, 2), "1.234.567,89");
        assert_eq!(format_decimal(Lang::Es, 1234.5, 1), "1234,5");
        assert_eq!(format_offset(Lang::Es, 4500), "+4,5 s");
        assert_eq!(format_offset(Lang::En, 14_000), "+14 s");
        assert_eq!(format_duration_ms(Lang::En, 65_400), "1:05");
        assert_eq!(format_duration_ms(Lang::Es, 3_725_000), "1:02:05");
        assert_eq!(format_amount(Lang::Es, "0.0240"), "0,0240");
    }

    #[test]
    fn domain_refusals_are_translated() {
        assert_eq!(
            translate_error(
                Lang::Es,
                "must start with '+' and the country code, e.g. +34910000001"
            ),
            "debe empezar por '+' y el prefijo del país, p. ej. +34910000001"
        );
        assert_eq!(
            translate_error(Lang::Es, "must be between 5 and 300"),
            "debe estar entre 5 y 300"
        );
        assert_eq!(
            translate_error(
                Lang::Es,
                "\"+0034\" is not E.164: must have between 7 and 15 digits after the '+'"
            ),
            "\"+0034\" no es un número E.164: debe tener entre 7 y 15 dígitos después del '+'"
        );
        assert_eq!(
            translate_error(Lang::En, "must be between 5 and 300"),
            "must be between 5 and 300"
        );
    }
}

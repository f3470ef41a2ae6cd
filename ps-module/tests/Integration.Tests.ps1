#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Integration tests against the real ams binary and a fresh data directory.
# The binary is $env:AMS_TEST_BINARY, else target/debug/ams(.exe) of the workspace; without one the
# tests are skipped. Run with: Invoke-Pester -Path ps-module/tests -TagFilter Integration

BeforeDiscovery {
    $binary = $env:AMS_TEST_BINARY
    if (-not $binary) {
        $name = if ([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) { 'ams.exe' } else { 'ams' }
        $binary = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'target', 'debug', $name)
    }
    $script:NoBinary = -not (Test-Path -LiteralPath $binary -PathType Leaf)
}

Describe 'AccessManager against the real ams' -Tag 'Integration' -Skip:$script:NoBinary {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
        Import-AmsTestModule

        $binary = $env:AMS_TEST_BINARY
        if (-not $binary) {
            $name = if ([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) { 'ams.exe' } else { 'ams' }
            $binary = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'target', 'debug', $name))
        }
        $saved = @{ Cli = $env:AMS_CLI_PATH; Data = $env:AMS_DATA_DIR }
        $env:AMS_CLI_PATH = $binary
        $dataDir = Join-Path ([System.IO.Path]::GetTempPath()) "ams-pester-$([guid]::NewGuid().ToString('n'))"
        $env:AMS_DATA_DIR = $dataDir

        function Invoke-RawAms {
            # Runs the binary directly, for the agent side that the module does not wrap.
            param([string[]] $Arguments, [string] $InputText)
            $info = [System.Diagnostics.ProcessStartInfo]::new($binary)
            if ($null -ne $info.PSObject.Properties['ArgumentList']) {
                foreach ($a in $Arguments) { $info.ArgumentList.Add($a) }
            }
            else {
                # Windows PowerShell 5.1: these arguments hold no spaces or quotes.
                $info.Arguments = $Arguments -join ' '
            }
            $info.RedirectStandardInput = $true
            $info.RedirectStandardOutput = $true
            $info.RedirectStandardError = $true
            $info.UseShellExecute = $false
            $process = [System.Diagnostics.Process]::Start($info)
            $process.StandardInput.Write($InputText)
            $process.StandardInput.Close()
            $out = $process.StandardOutput.ReadToEnd()
            $null = $process.StandardError.ReadToEnd()
            $process.WaitForExit()
            $process.ExitCode | Should -Be 0
            $out | ConvertFrom-Json
        }
    }

    AfterAll {
        $env:AMS_CLI_PATH = $saved.Cli
        $env:AMS_DATA_DIR = $saved.Data
        if (Test-Path -LiteralPath $dataDir) {
            Remove-Item -LiteralPath $dataDir -Recurse -Force
        }
    }

    It 'reports a missing instance as ObjectNotFound with the ams code and hint' {
        Get-AmsMasterKeyStatus -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'AMS-CFG-0001*'
        $failures[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }

    It 'creates an instance with a generated recovery password' {
        $report = Initialize-AmsInstance -GenerateRecoveryPassword -Confirm:$false
        $report.RecoveryPassword | Should -BeOfType ([System.Security.SecureString])
        $script:RecoveryPassword = $report.RecoveryPassword
        (Get-AmsMasterKeyStatus).RecoveryMode | Should -BeFalse
        (Get-AmsDatabaseStatus).SchemaVersion | Should -BeGreaterThan 0
    }

    It 'manages groups, including errors and pipelines' {
        $group = New-AmsGroup -Name 'Pester kiosks' -Description 'made by Pester'
        $group.PSTypeNames[0] | Should -BeExactly 'Ams.Group'
        (Get-AmsGroup -Id $group.Id).Name | Should -BeExactly 'Pester kiosks'

        $many = 1..30 | ForEach-Object { New-AmsGroup -Name "Pester bulk $_" }
        $renamed = @($many | Set-AmsGroup -Description 'bulk')
        $renamed.Count | Should -Be 30
        ($renamed | Where-Object Description -NE 'bulk') | Should -BeNullOrEmpty
        $many | Remove-AmsGroup -Force
        @(Get-AmsGroup | Where-Object Name -Like 'Pester bulk*').Count | Should -Be 0

        Get-AmsGroup -Id ([guid]::NewGuid().ToString()) -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        { New-AmsGroup -Name 'Pester kiosks' -ErrorAction Stop } | Should -Throw
    }

    It 'registers a device, approves it and reads its password as a SecureString' {
        $null = New-AmsEncryptionCertificate -KeySize 3072 -Activate -Confirm:$false
        (Get-AmsEncryptionCertificate | Where-Object IsActive) | Should -Not -BeNullOrEmpty

        $key = New-AmsDeviceRegistrationKey -Name 'Pester key' -ApprovalRequired
        $registered = Invoke-RawAms -Arguments 'agent', 'register', '--name', 'PESTER1', '--os', 'linux' -InputText $key.Key
        $device = Get-AmsDevice -Name 'PESTER1'
        $device.ApprovalState | Should -BeExactly 'Pending'
        $device = $device | Set-AmsDevice -Approve
        $device.ApprovalState | Should -BeExactly 'Approved'

        $null = Invoke-RawAms -Arguments 'agent', 'submit-password', '--device-id', $registered.DeviceId -InputText 'Pester-Pa55word!'
        $password = $device | Get-AmsLocalAdminPassword
        $password.Password | Should -BeOfType ([System.Security.SecureString])
        (Get-AmsLocalAdminPassword -ComputerName 'PESTER1' -AsPlainText).Password | Should -BeExactly 'Pester-Pa55word!'

        $group = Get-AmsGroup -Name 'Pester kiosks'
        $group | Add-AmsGroupMember -Devices $device
        @($group | Get-AmsGroupMembers).Id | Should -Contain $device.Id
        $group | Remove-AmsGroupMember -Devices $device -Force
        @($group | Get-AmsGroupMembers).Count | Should -Be 0

        $device | Remove-AmsDevice -Force
        @(Get-AmsDevice -Name 'PESTER1' -ErrorAction SilentlyContinue).Count | Should -Be 0
    }

    It 'exports a PFX that .NET loads with its default PKCS#12 limits, and openssl reads' {
        $certificate = Get-AmsEncryptionCertificate | Where-Object IsActive | Select-Object -First 1
        $pfx = Join-Path ([System.IO.Path]::GetTempPath()) "ams-pester-$([guid]::NewGuid().ToString('n')).pfx"
        $words = 'correct horse battery staple pester'
        $password = ConvertTo-SecureString -String $words -AsPlainText -Force
        try {
            $null = $certificate | Export-AmsEncryptionCertificate -Out $pfx -Password $password -Confirm:$false
            # The defaults of Pkcs12LoaderLimits: MAC and each KDF at most 300,000 iterations.
            $loaded = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12FromFile($pfx, $words)
            try {
                $loaded.Thumbprint | Should -BeExactly $certificate.Thumbprint.ToUpperInvariant()
                $loaded.HasPrivateKey | Should -BeTrue
            }
            finally {
                $loaded.Dispose()
            }
            if (Get-Command -Name openssl -ErrorAction SilentlyContinue) {
                $passFile = "$pfx.pw"
                [System.IO.File]::WriteAllText($passFile, $words)
                try {
                    $info = & openssl pkcs12 -in $pfx -passin "file:$passFile" -info -noout 2>&1 | Out-String
                    $LASTEXITCODE | Should -Be 0
                    $info | Should -Match 'MAC: sha256, Iteration 300000'
                }
                finally {
                    Remove-Item -LiteralPath $passFile -Force
                }
            }
        }
        finally {
            if (Test-Path -LiteralPath $pfx) { Remove-Item -LiteralPath $pfx -Force }
        }
    }

    It 'imports certificates that .NET exported without a password, with -NoPassword only' {
        $pfxType = [System.Security.Cryptography.X509Certificates.X509ContentType]::Pfx
        # Export(Pfx) with a null password keys the file with the zero-length password; with ''
        # it uses the empty BMPString. Both mean "no password".
        foreach ($name in 'null', 'empty') {
            $rsa = [System.Security.Cryptography.RSA]::Create(3072)
            $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new("CN=Pester no password $name", $rsa, [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
            $certificate = $request.CreateSelfSigned([DateTimeOffset]::UtcNow.AddMinutes(-5), [DateTimeOffset]::UtcNow.AddDays(30))
            $bytes = if ($name -eq 'null') { $certificate.Export($pfxType) } else { $certificate.Export($pfxType, '') }
            $file = Join-Path ([System.IO.Path]::GetTempPath()) "ams-pester-nopass-$name-$([guid]::NewGuid().ToString('n')).pfx"
            [System.IO.File]::WriteAllBytes($file, $bytes)
            try {
                { Import-AmsEncryptionCertificate -Pfx $file -Password (New-Object System.Security.SecureString) -Confirm:$false -ErrorAction Stop } | Should -Throw
                $imported = Import-AmsEncryptionCertificate -Pfx $file -NoPassword -Confirm:$false
                $imported.Thumbprint | Should -BeExactly $certificate.Thumbprint
                $imported.HasPrivateKey | Should -BeTrue
            }
            finally {
                Remove-Item -LiteralPath $file -Force
                $rsa.Dispose()
            }
        }
    }

    It 'binds piped names, CSV rows and AD-style objects to the password cmdlets' {
        $key = New-AmsDeviceRegistrationKey -Name 'Pester pipeline key'
        foreach ($name in 'PIPE1', 'PIPE2') {
            $registered = Invoke-RawAms -Arguments 'agent', 'register', '--name', $name, '--os', 'windows' -InputText $key.Key
            $null = Invoke-RawAms -Arguments 'agent', 'submit-password', '--device-id', $registered.DeviceId -InputText "Pester-$name-Pa55!"
        }
        $fromStrings = @('PIPE1', 'PIPE2' | Get-AmsLocalAdminPassword -AsPlainText)
        $fromStrings.Password | Should -Be @('Pester-PIPE1-Pa55!', 'Pester-PIPE2-Pa55!')
        $rows = "ComputerName`nPIPE2`nPIPE1" | ConvertFrom-Csv
        @($rows | Get-AmsLocalAdminPassword -AsPlainText).Password | Should -Be @('Pester-PIPE2-Pa55!', 'Pester-PIPE1-Pa55!')
        $adStyle = [pscustomobject]@{ Name = 'PIPE1'; DNSHostName = 'pipe1.corp.example'; SamAccountName = 'PIPE1$' }
        ($adStyle | Get-AmsLocalAdminPassword -AsPlainText).Password | Should -BeExactly 'Pester-PIPE1-Pa55!'
        @(Get-AmsDevice -Name 'PIPE2' | Get-AmsLocalAdminPasswordHistory).Count | Should -Be 0
        Get-AmsLocalAdminPassword -ComputerName 'NO-SUCH-PC' -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        Get-AmsDevice -Id ([guid]::NewGuid().ToString()) -ErrorAction SilentlyContinue -ErrorVariable missing
        $missing[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'turns boolean settings off as well as on, alone and through the pipeline' {
        $key = New-AmsDeviceRegistrationKey -Name 'Pester toggles' -Disable -ApprovalRequired
        ($key.Enabled, $key.ApprovalRequired) | Should -Be @($false, $true)
        $key = $key | Set-AmsDeviceRegistrationKey -Enable -ApprovalNotRequired
        ($key.Enabled, $key.ApprovalRequired) | Should -Be @($true, $false)
        $rules = 1..3 | ForEach-Object {
            New-AmsRoleAuthorizationRule -Name "Pester role $_" -PrincipalsAllowedJit 'S-1-5-21-1-2-3-1104' -GroupName 'CORP\Admins' -MaximumAccessDuration '01:00:00' -AllowExtension
        }
        $off = @($rules | Set-AmsRoleAuthorizationRule -Enabled $false -AllowExtension $false)
        $off.Count | Should -Be 3
        ($off | Where-Object { -not $_.Disabled -or $_.AllowExtension }) | Should -BeNullOrEmpty
        $on = @($rules | Set-AmsRoleAuthorizationRule -Enabled $true)
        ($on | Where-Object Disabled) | Should -BeNullOrEmpty
        $rules | Remove-AmsRoleAuthorizationRule -Force
    }

    It 'completes device names from the instance' {
        $result = TabExpansion2 -inputScript 'Get-AmsLocalAdminPassword -ComputerName PIP' -cursorColumn 43
        @($result.CompletionMatches.CompletionText) | Should -Be @('PIPE1', 'PIPE2')
    }

    It 'asks for approval, refuses self-approval and hands the password out once' {
        $alice = 'S-1-5-21-1000-2000-3000-1104'
        $bob = 'S-1-5-21-1000-2000-3000-1105'
        $key = New-AmsDeviceRegistrationKey -Name 'Pester approvals key'
        $registered = Invoke-RawAms -Arguments 'agent', 'register', '--name', 'PESTERAPR', '--os', 'linux' -InputText $key.Key
        $null = Invoke-RawAms -Arguments 'agent', 'submit-password', '--device-id', $registered.DeviceId -InputText 'Pester-Apr-Pa55word!'
        $device = Get-AmsDevice -Name 'PESTERAPR'
        $rule = New-AmsComputerAuthorizationRule -AmsComputerId $device.Id -PrincipalsAllowedLaps $alice -ApprovalRequired -Approvers "$bob=CORP\bob" -ApprovalAccessWindow ([timespan]::FromMinutes(30)) -Confirm:$false
        $rule.ApprovalRequired | Should -BeTrue
        $pending = Invoke-RawAms -Arguments 'access', 'request', '--computer-name', 'PESTERAPR', '--access-type', 'laps', '--user-sid', $alice -InputText ''
        $pending.Status | Should -BeExactly 'Pending'
        $listed = @(Get-AmsAccessRequest -State Pending -ComputerName 'PESTERAPR')
        $listed.Count | Should -Be 1
        $listed[0].PSTypeNames[0] | Should -BeExactly 'Ams.AccessRequest'

        $listed[0] | Approve-AmsAccessRequest -ApproverSid $alice -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'AMS-APR-0003*'
        $approved = $listed[0] | Approve-AmsAccessRequest -ApproverSid $bob -Reason 'Pester' -Confirm:$false
        $approved.State | Should -BeExactly 'Approved'

        $grant = Get-AmsApprovedAccess -RequestId $pending.RequestId -UserSid $alice
        $grant.Password.Password | Should -BeOfType ([System.Security.SecureString])
        ConvertFrom-AmsTestSecureString $grant.Password.Password | Should -BeExactly 'Pester-Apr-Pa55word!'
        Get-AmsApprovedAccess -RequestId $pending.RequestId -UserSid $alice -ErrorAction SilentlyContinue -ErrorVariable again
        $again.Count | Should -Be 1
        $again[0].FullyQualifiedErrorId | Should -BeLike 'AMS-APR-0006*'
        (Get-AmsAccessRequest -Id $pending.RequestId).State | Should -BeExactly 'Used'

        $denied = Invoke-RawAms -Arguments 'access', 'request', '--computer-name', 'PESTERAPR', '--access-type', 'laps', '--user-sid', $alice -InputText ''
        (Deny-AmsAccessRequest -RequestId $denied.RequestId -ApproverSid $bob -Confirm:$false).State | Should -BeExactly 'Denied'
        $rule | Remove-AmsComputerAuthorizationRule -Force -Confirm:$false
    }

    It 'manages agent policies and word lists and resolves a device' {
        $key = New-AmsDeviceRegistrationKey -Name 'Pester policy key'
        $registered = Invoke-RawAms -Arguments 'agent', 'register', '--name', 'PESTERPOL', '--os', 'linux' -InputText $key.Key
        (Resolve-AmsAgentPolicy -DeviceId $registered.DeviceId).Policy.PolicyName | Should -BeExactly 'Default Linux policy'

        $policy = New-AmsAgentPolicy -Name 'Pester Linux' -Os linux -TargetDevice $registered.DeviceId -Settings @{ PasswordMaximumAgeDays = 5; Password = @{ Length = 24 } }
        $policy.PSTypeNames[0] | Should -BeExactly 'Ams.AgentPolicy'
        $policy.Settings.Password.Length | Should -Be 24
        $resolved = Get-AmsDevice -Name 'PESTERPOL' | Resolve-AmsAgentPolicy
        $resolved.Policy.PolicyName | Should -BeExactly 'Pester Linux'
        $resolved.Policy.PasswordMaximumAgeDays | Should -Be 5

        $second = New-AmsAgentPolicy -Name 'Pester second' -Os linux -TargetGroup 'S-1-4096-2-5' -Settings '{"GenerationMode":"Passphrase"}'
        ($second | Move-AmsAgentPolicy -Position 1).Order | Should -Be 1
        (Resolve-AmsAgentPolicy -DeviceId $registered.DeviceId).Policy.PolicyName | Should -BeExactly 'Pester second'
        $null = $second | Set-AmsAgentPolicy -Disable
        (Resolve-AmsAgentPolicy -DeviceId $registered.DeviceId).Policy.PolicyName | Should -BeExactly 'Pester Linux'
        { Set-AmsAgentPolicy -Id $policy.Id -Settings @{ Password = @{ Length = 8; UpperCase = $false; Digits = $false } } -ErrorAction Stop } | Should -Throw '*bits of entropy*'

        $file = Join-Path $TestDrive 'words.txt'
        $words = foreach ($i in 1..2100) { 'p' + (-join ([char[]]([convert]::ToString($i, 2).Replace('0', 'a').Replace('1', 'b')))) }
        Set-Content -LiteralPath $file -Value $words -Encoding ascii
        $list = New-AmsWordList -Name 'Pester words' -File $file
        $list.WordCount | Should -Be 2100
        @(Get-AmsWordList).Count | Should -Be 2
        $list | Remove-AmsWordList -Force
        @(Get-AmsWordList).Count | Should -Be 1

        Get-AmsAgentPolicy -Os linux | Where-Object { -not $_.IsDefault } | Remove-AmsAgentPolicy -Force
        @(Get-AmsAgentPolicy -Os linux).Count | Should -Be 1
        Get-AmsDevice -Name 'PESTERPOL' | Remove-AmsDevice -Force
    }

    It 'lists and revokes the host protector of a second host sharing the database' {
        $second = "$dataDir-second"
        $null = New-Item -ItemType Directory -Path $second
        if ([System.Environment]::OSVersion.Platform -ne [System.PlatformID]::Win32NT) { & chmod 700 $second }
        try {
            $database = 'sqlite://' + (Join-Path $dataDir 'ams.db')
            $null = Invoke-RawAms -Arguments @('--data-dir', $second, 'host-config', 'set', '--connection-string', '-') -InputText $database
            $env:AMS_DATA_DIR = $second
            (Get-AmsMasterKeyStatus).RecoveryMode | Should -BeTrue
            $joined = Restore-AmsMasterKey -RecoveryPassword $script:RecoveryPassword -Force
            $joined.RecoveryMode | Should -BeFalse
            $env:AMS_DATA_DIR = $dataDir
            $status = Get-AmsMasterKeyStatus
            $status.RecoveryMode | Should -BeFalse
            @($status.HostProtectors).Count | Should -Be 2
            $status.HostProtectors[0].PSTypeNames[0] | Should -BeExactly 'Ams.MasterKeyHostProtector'

            Remove-AmsMasterKeyHostProtector -HostKeyId $status.ThisHostKeyId -Force -ErrorAction SilentlyContinue -ErrorVariable failures
            $failures.Count | Should -Be 1
            $failures[0].FullyQualifiedErrorId | Should -BeLike 'AMS-KEY-0012*'

            $removed = $status.HostProtectors | Where-Object { -not $_.ThisHost } | Remove-AmsMasterKeyHostProtector -Force
            $removed.HostKeyId | Should -BeExactly $joined.ThisHostKeyId
            (Get-AmsMasterKeyStatus).RecoveryMode | Should -BeFalse
            @((Get-AmsMasterKeyStatus).HostProtectors).Count | Should -Be 1
            $env:AMS_DATA_DIR = $second
            (Get-AmsMasterKeyStatus).RecoveryMode | Should -BeTrue
        }
        finally {
            $env:AMS_DATA_DIR = $dataDir
            Remove-Item -LiteralPath $second -Recurse -Force
        }
    }

    It 'rotates the master key with the recovery password on stdin' {
        $before = (Get-AmsMasterKeyStatus).MasterKeyId
        $result = Update-AmsMasterKey -RecoveryPassword $script:RecoveryPassword -Force
        $result.MasterKeyId | Should -Not -BeExactly $before
    }
}
